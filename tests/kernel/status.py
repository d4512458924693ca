#!/usr/bin/env python3
"""status.py - print "SYMBOL STATUS ACTUAL" per requested symbol of a kbuild config --json report, sorted"""
import json
import sys

with open(sys.argv[1]) as f:
    report = json.load(f)
for r in sorted(report["requested"], key=lambda r: r["symbol"]):
    print(r["symbol"], r["status"], r["actual"], r["file"] + ":" + str(r["line"]))
