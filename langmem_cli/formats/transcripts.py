"""Former home of the transcript readers, kept so older imports work: use ``langmem_cli.formats``."""

from langmem_cli.formats import FORMATS, STDIN_NAME, ReadReport, detect_format, flatten_content, read_conversations

__all__ = ["FORMATS", "STDIN_NAME", "ReadReport", "detect_format", "flatten_content", "read_conversations"]
