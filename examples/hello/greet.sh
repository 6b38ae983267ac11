#!/bin/sh
# The service: greets whoever is named in $1.
name="${1:-world}"
echo "hello, ${name}"
