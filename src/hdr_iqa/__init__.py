"""hdr_iqa."""
