# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pieces of tests/cli/depmod-cache.py, the test of depmod's cache of parsed
modules (modules.kmodx-cache.bin); that script is the entry point and its
docstring the description of what is checked.

  common       constants (output and input names, NOTICE patterns, the 2 s
               racy window) and small file helpers
  cachefile    the cache file: a reader of module_cache.hpp's format (with a
               copy of util/checksum.cpp), and the checks of a cache left by
               an incremental run
  runner       running depmod (Run, its NOTICE lines parsed) and comparing an
               incremental run with a --no-cache run
  sources      pristine module files the edits copy from, and ELF sections
  tree         a module tree under random edits (parts 1 and 2)
  steps        the step loop of parts 1 and 2 and its failure report
  hostile      part 3: hostile cache files
  rules        part 4: when a cache is read and written
"""
