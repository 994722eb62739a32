#!/usr/bin/env python3
"""Unit tests of tools/make_single_header.py on small made-up header trees.

Run: python3 tests/distribution/test_make_single_header.py  (CTest: distribution.generator)
"""

import contextlib
import importlib.util
import io
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in tools/
SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "make_single_header.py"
spec = importlib.util.spec_from_file_location("make_single_header", SCRIPT)
msh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(msh)


class Tree:
    """A temporary include/ tree, a LICENSE and an output path."""

    def __init__(self, files):
        self._tmp = tempfile.TemporaryDirectory()
        self.root = Path(self._tmp.name)
        self.include = self.root / "include"
        self.license = self.root / "LICENSE"
        self.output = self.root / "out" / "structql.hpp"
        self.license.write_text("Test License 1.0\n\nBe nice.\n")
        files.setdefault("structql/version.hpp",
                         '#pragma once\n#define STRUCTQL_VERSION_STRING "9.8.7"\n')
        for name, text in files.items():
            self.write(name, text)

    def write(self, name, text):
        path = self.include / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))

    def run(self, *args):
        argv = ["--include-dir", str(self.include), "--license", str(self.license),
                "--output", str(self.output), *args]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = msh.main(argv)
            except SystemExit as e:  # argparse errors
                rc = e.code
        return rc, out.getvalue() + err.getvalue()

    def close(self):
        self._tmp.cleanup()


BASIC = {
    "structql/structql.hpp": """\
        #pragma once
        // the one include
        #include "structql/version.hpp"
        #include "structql/b.hpp"
        #include <structql/a.hpp>
        #include "structql/b.hpp"
        """,
    "structql/a.hpp": """\
        #pragma  once
        #include <vector>
        #include "structql/detail/c.hpp"
        #if defined(X)
        #include <boost/x.hpp>
        #endif
        int a();
        """,
    "structql/b.hpp": """\
        #pragma once
        #include <string>
        #include "structql/a.hpp"
        int b();
        """,
    "structql/detail/c.hpp": """\
          #  pragma once
        int c();
        """,
}


class Generation(unittest.TestCase):
    def setUp(self):
        self.tree = Tree(dict(BASIC))

    def tearDown(self):
        self.tree.close()

    def generated(self):
        rc, out = self.tree.run()
        self.assertEqual(rc, 0, out)
        return self.tree.output.read_text()

    def test_inlines_each_header_once_depth_first_in_include_order(self):
        text = self.generated()
        begins = [line.split()[3] for line in text.splitlines() if line.startswith("// ---- begin")]
        self.assertEqual(begins, ["structql/structql.hpp", "structql/version.hpp", "structql/b.hpp",
                                  "structql/a.hpp", "structql/detail/c.hpp"])
        self.assertLess(text.index("int c();"), text.index("int a();"))
        self.assertLess(text.index("int a();"), text.index("int b();"))
        for decl in ("int a();", "int b();", "int c();"):
            self.assertEqual(text.count(decl), 1)

    def test_strips_internal_includes_and_repeated_pragma_once_keeps_the_rest(self):
        text = self.generated()
        self.assertNotRegex(text, r'#\s*include\s*["<]structql/')
        self.assertEqual(text.count("pragma"), 1)
        self.assertIn("\n#pragma once\n", text)
        for kept in ("#include <vector>", "#include <string>", "#if defined(X)\n#include <boost/x.hpp>\n#endif"):
            self.assertIn(kept, text)

    def test_banner_comes_first_with_version_and_license(self):
        text = self.generated()
        banner = text[:text.index("#pragma once")]
        self.assertTrue(all(line.startswith("//") for line in banner.splitlines()))
        self.assertIn("StructQL 9.8.7", banner)
        self.assertIn("// Test License 1.0\n//\n// Be nice.\n", banner)

    def test_output_is_deterministic_and_holds_no_local_path(self):
        first = self.generated()
        self.assertEqual(first, self.generated())
        self.assertNotIn(str(self.tree.root), first)

    def test_check_passes_when_current_and_fails_when_stale_or_missing(self):
        rc, out = self.tree.run("--check")
        self.assertEqual(rc, 1)
        self.assertIn("missing", out)
        self.generated()
        rc, out = self.tree.run("--check")
        self.assertEqual(rc, 0, out)
        self.tree.write("structql/detail/c.hpp", "#pragma once\nint c(int);\n")
        before = self.tree.output.read_text()
        rc, out = self.tree.run("--check")
        self.assertEqual(rc, 1)
        self.assertIn("out of date", out)
        self.assertIn("python3 tools/make_single_header.py", out)
        self.assertIn("+int c(int);", out)
        self.assertEqual(before, self.tree.output.read_text(), "--check must not write")

    def test_a_missing_header_is_an_error(self):
        self.tree.write("structql/b.hpp", '#pragma once\n#include "structql/nope.hpp"\n')
        rc, out = self.tree.run()
        self.assertEqual(rc, 2)
        self.assertIn("nope.hpp: no such header (included from structql/b.hpp)", out)

    def test_a_conditional_internal_include_is_refused(self):
        self.tree.write("structql/b.hpp", '#pragma once\n#ifdef Y\n#include "structql/a.hpp"\n#endif\n')
        rc, out = self.tree.run()
        self.assertEqual(rc, 2)
        self.assertIn("structql/b.hpp:3: internal include inside #if", out)


class PostgreSQL(unittest.TestCase):
    def setUp(self):
        self.tree = Tree(dict(BASIC))

    def tearDown(self):
        self.tree.close()

    def test_needs_an_output_so_the_sqlite_only_header_is_not_overwritten(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as e:
            msh.main(["--include-dir", str(self.tree.include), "--with-postgresql"])
        self.assertEqual(e.exception.code, 2)
        self.assertIn("--with-postgresql needs --output", err.getvalue())

    def test_fails_while_the_backend_does_not_exist(self):
        rc, out = self.tree.run("--with-postgresql")
        self.assertEqual(rc, 2)
        self.assertIn("postgresql.hpp does not exist", out)

    def test_adds_the_postgresql_root_after_the_main_one(self):
        self.tree.write("structql/postgresql.hpp", """\
            #pragma once
            #include "structql/structql.hpp"
            #include "structql/backend/postgresql.hpp"
            """)
        self.tree.write("structql/backend/postgresql.hpp", """\
            #pragma once
            #include <libpq-fe.h>
            #include "structql/a.hpp"
            int pg();
            """)
        rc, out = self.tree.run("--with-postgresql")
        self.assertEqual(rc, 0, out)
        text = self.tree.output.read_text()
        self.assertEqual(text.count("int a();"), 1)
        self.assertLess(text.index("int b();"), text.index("int pg();"))
        self.assertIn("#include <libpq-fe.h>", text)
        rc, _ = self.tree.run("--check")  # without the option, the same file is not current
        self.assertEqual(rc, 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
