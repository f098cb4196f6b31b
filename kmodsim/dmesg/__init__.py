"""util-linux dmesg, reimplemented over kmodsim's ring buffer and over dump files."""
