#!/bin/sh
# Code quality: every script parses, and none has trailing whitespace.
set -e
for f in greet.sh test.sh lint.sh; do
  sh -n "$f"
  if grep -n ' $' "$f"; then echo "$f: trailing whitespace"; exit 1; fi
done
echo "lint: 3 scripts clean"
