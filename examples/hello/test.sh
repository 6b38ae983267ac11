#!/bin/sh
# Unit test: the greeting is what we promise.
set -e
out="$(sh ./greet.sh seamless)"
[ "$out" = "hello, seamless" ] || { echo "FAIL: got '$out'"; exit 1; }
echo "test: 1 passed"
