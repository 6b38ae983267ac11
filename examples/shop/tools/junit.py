"""Runs unittest tests and writes a JUnit XML report. Standard library only.

Usage (from a service directory, as the pipeline's unit-test stage runs it):

    python3 ../tools/junit.py --junit reports/junit.xml

or from examples/shop:

    python3 tools/junit.py --start-dir payments --junit payments/reports/junit.xml

Options:
    --junit PATH      where to write the report (default: $JUNIT_XML; none if unset)
    --start-dir DIR   where to discover tests (default: the current directory)
    --pattern GLOB    test file pattern (default: test*.py)
    --name NAME       the suite name (default: the start directory's name)

The report has the usual shape, which CI tools read:

    <testsuites tests= failures= errors= skipped= time=>
      <testsuite name= tests= failures= errors= skipped= time= timestamp= hostname=>
        <testcase classname= name= time=> [<failure|error message= type=>|<skipped/>]

Exits 0 when every test passed (skips allowed), 1 when any failed or errored, or when
no test was found at all.
"""

import argparse
import os
import socket
import sys
import time
import unittest
import xml.etree.ElementTree as ET

# Tests often run on a mounted workspace: leave no __pycache__ behind in it.
sys.dont_write_bytecode = True


class RecordingResult(unittest.TextTestResult):
    """A text result that also records each test's outcome and duration."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.records = {}  # test id -> record, in the order tests ran
        self._started = {}

    def _record(self, test):
        key = test.id()
        if key not in self.records:
            if isinstance(test, unittest.TestCase):
                classname = f"{type(test).__module__}.{type(test).__qualname__}"
                name = test._testMethodName
            else:  # an error outside a test, such as a failing setUpClass
                classname, name = "unittest", str(test)
            self.records[key] = {"classname": classname, "name": name, "time": 0.0,
                                 "outcome": "passed", "message": "", "detail": ""}
        return self.records[key]

    def _set(self, test, outcome, err=None, message=None, label=None):
        record = self._record(test)
        # A test with several failing subtests stays failed; an error outranks a failure.
        if record["outcome"] == "error" and outcome == "failure":
            outcome = "error"
        record["outcome"] = outcome
        if err is not None:
            detail = self._exc_info_to_string(err, test)
            if label:
                detail = f"{label}\n{detail}"
            record["detail"] += ("\n" if record["detail"] else "") + detail
            first_line = (str(err[1]).splitlines() or [""])[0][:300]
            record["message"] = record["message"] or f"{err[0].__name__}: {first_line}"
            record.setdefault("type", err[0].__name__)
        if message is not None:
            record["message"] = message

    def startTest(self, test):
        super().startTest(test)
        self._record(test)
        self._started[test.id()] = time.perf_counter()

    def stopTest(self, test):
        super().stopTest(test)
        started = self._started.pop(test.id(), None)
        if started is not None:
            self._record(test)["time"] = time.perf_counter() - started

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._set(test, "failure", err)

    def addError(self, test, err):
        super().addError(test, err)
        self._set(test, "error", err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._set(test, "skipped", message=reason)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._set(test, "failure", message="unexpected success of an expected failure")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            kind = "failure" if issubclass(err[0], test.failureException) else "error"
            self._set(test, kind, err, label=f"subtest: {subtest}")


def to_xml(records, name, elapsed):
    """The report as an ElementTree."""
    counts = {kind: sum(1 for r in records if r["outcome"] == kind)
              for kind in ("failure", "error", "skipped")}
    attrs = {"tests": str(len(records)), "failures": str(counts["failure"]),
             "errors": str(counts["error"]), "skipped": str(counts["skipped"]),
             "time": f"{elapsed:.3f}"}
    root = ET.Element("testsuites", {"name": name, **attrs})
    suite = ET.SubElement(root, "testsuite", {
        "name": name, **attrs, "hostname": socket.gethostname(),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
    })
    for r in records:
        case = ET.SubElement(suite, "testcase", {"classname": r["classname"],
                                                  "name": r["name"], "time": f"{r['time']:.3f}"})
        if r["outcome"] in ("failure", "error"):
            child = ET.SubElement(case, r["outcome"], {"message": r["message"],
                                                       "type": r.get("type", "AssertionError")})
            child.text = r["detail"]
        elif r["outcome"] == "skipped":
            ET.SubElement(case, "skipped", {"message": r["message"]})
    ET.indent(root)
    return ET.ElementTree(root)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run unittest tests, write JUnit XML.")
    parser.add_argument("--junit", default=os.environ.get("JUNIT_XML"), metavar="PATH")
    parser.add_argument("--start-dir", default=".", metavar="DIR")
    parser.add_argument("--pattern", default="test*.py", metavar="GLOB")
    parser.add_argument("--name")
    args = parser.parse_args(argv)

    start_dir = os.path.abspath(args.start_dir)
    name = args.name or os.path.basename(start_dir)
    suite = unittest.defaultTestLoader.discover(start_dir, pattern=args.pattern,
                                                top_level_dir=start_dir)
    runner = unittest.TextTestRunner(verbosity=2, resultclass=RecordingResult)
    started = time.perf_counter()
    result = runner.run(suite)
    elapsed = time.perf_counter() - started

    records = list(result.records.values())
    if args.junit:
        path = os.path.abspath(args.junit)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        to_xml(records, name, elapsed).write(path, encoding="utf-8", xml_declaration=True)
        print(f"junit: wrote {args.junit} ({len(records)} tests)", file=sys.stderr)
    if not records:
        print(f"junit: no tests found in {start_dir} matching {args.pattern}", file=sys.stderr)
        return 1
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
