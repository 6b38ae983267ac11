"""A small linter for the shop's Python, standard library only (the code-quality stage).

Usage: python3 ../tools/lint.py [PATH ...]     (default: the current directory)

Checks every .py file under the given paths:
    - it parses (syntax errors are reported with their line);
    - it has a module docstring;
    - lines are at most 100 characters, without tabs or trailing spaces;
    - every imported name is used.

Prints one `path:line: message` per problem; exits 1 when there is any.
"""

import ast
import os
import sys

MAX_LINE = 100
SKIP_DIRS = {"__pycache__", "reports", ".git"}


def python_files(paths):
    """The .py files under paths, sorted, skipping caches and reports."""
    for path in paths:
        if os.path.isfile(path):
            yield path
            continue
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            yield from (os.path.join(folder, f) for f in sorted(files) if f.endswith(".py"))


def unused_imports(tree):
    """(line, name) of each imported name that the module never mentions."""
    imported = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                imported[name] = node.lineno
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imported[alias.asname or alias.name] = node.lineno
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return sorted((line, name) for name, line in imported.items() if name not in used)


def check(path):
    """The problems of one file, as (line, message)."""
    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as err:
        return [(err.lineno or 0, f"syntax error: {err.msg}")]
    problems = []
    if ast.get_docstring(tree) is None:
        problems.append((1, "no module docstring"))
    for number, line in enumerate(source.splitlines(), start=1):
        if len(line) > MAX_LINE:
            problems.append((number, f"line is {len(line)} characters (max {MAX_LINE})"))
        if "\t" in line:
            problems.append((number, "tab character"))
        if line != line.rstrip():
            problems.append((number, "trailing whitespace"))
    problems += [(line, f"'{name}' imported but unused") for line, name in unused_imports(tree)]
    return sorted(problems)


def main(argv):
    files = list(python_files(argv or ["."]))
    count = 0
    for path in files:
        for line, message in check(path):
            print(f"{path}:{line}: {message}")
            count += 1
    print(f"lint: {len(files)} files, {count} problems", file=sys.stderr)
    return 1 if count or not files else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
