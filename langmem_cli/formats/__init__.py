"""Files people have: transcript formats (one reader per format), prompt files and schema files."""
