"""Files people have: transcript formats (one reader module per format), prompt files and schema files.

The transcript API: ``read_conversations``, ``FORMATS``, ``detect_format``, ``flatten_content``,
``ReadReport`` (what a read skipped, and why).
"""

from langmem_cli.formats.common import STDIN_NAME, ReadReport, Skipped
from langmem_cli.formats.content import flatten_content
from langmem_cli.formats.detect import FORMATS, detect_format
from langmem_cli.formats.read import read_conversations

__all__ = ["FORMATS", "STDIN_NAME", "ReadReport", "Skipped", "detect_format", "flatten_content", "read_conversations"]
