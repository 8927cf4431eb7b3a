#!/usr/bin/env python3
"""Functions over 150 lines and library files over 1,000 lines, in every crate's src/.

usage: check_sizes.py [ROOT] [--fn-max N] [--file-max N]    exit 1 when anything is over

Lines are counted from a function's `fn` line to its closing brace; a file's lines are
counted up to its first `#[cfg(test)]` (its test module is not library code). Test files
(tests/, benches/, examples/) and `target/` are left out. Comments and string literals are
blanked before braces are matched, so a brace in a string does not count.
"""
import os
import re
import sys

FN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?"
                r"(?:extern\s+\"C\"\s+)?fn\s+([A-Za-z_][A-Za-z0-9_]*)")


def blank(text):
    """Comments and string/char literals replaced by spaces, newlines kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        else:
            m = re.match(r'b?r(#*)"', text[i:i + 40]) if text[i] in "rb" and (
                i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) else None
            if m:
                end = text.find('"' + m.group(1), i + m.end())
                end = n if end < 0 else end + 1 + len(m.group(1))
                out.append(re.sub(r"[^\n]", " ", text[i:end]))
                i = end
            elif text[i] == '"':
                j = i + 1
                while j < n and text[j] != '"':
                    j += 2 if text[j] == "\\" else 1
                out.append(re.sub(r"[^\n]", " ", text[i:j + 1]))
                i = j + 1
            elif text[i] == "'":
                m2 = re.match(r"'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^'\\\n])'", text[i:i + 12])
                if m2:
                    out.append(" " * m2.end())
                    i += m2.end()
                else:
                    out.append("'")
                    i += 1
            else:
                out.append(text[i])
                i += 1
    return "".join(out)


def functions(code):
    """(name, first line, line count) of every fn with a body."""
    lines = code.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    found = []
    for ln, line in enumerate(lines):
        m = FN.match(line)
        if not m:
            continue
        start = offsets[ln]
        # the body: the first `{` after the signature outside parentheses, unless `;` comes first
        depth, j = 0, start + m.end()
        while j < len(code):
            c = code[j]
            if c in "([":
                depth += 1
            elif c in ")]":
                depth -= 1
            elif depth == 0 and c == ";":
                j = -1
                break
            elif depth == 0 and c == "{":
                break
            j += 1
        if j < 0 or j >= len(code):
            continue
        braces, k = 0, j
        while k < len(code):
            if code[k] == "{":
                braces += 1
            elif code[k] == "}":
                braces -= 1
                if braces == 0:
                    break
            k += 1
        end_line = code.count("\n", 0, k)
        found.append((m.group(1), ln + 1, end_line - ln + 1))
    return found


def main():
    args = sys.argv[1:]
    fn_max, file_max, root = 150, 1000, "."
    while args:
        a = args.pop(0)
        if a == "--fn-max":
            fn_max = int(args.pop(0))
        elif a == "--file-max":
            file_max = int(args.pop(0))
        else:
            root = a
    over = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in (
            "target", ".git", ".tools", "node_modules", "tests", "benches", "examples"))
        if os.sep + "src" not in dirpath + os.sep and not dirpath.endswith("src"):
            continue
        for name in sorted(filenames):
            if not name.endswith(".rs") or name == "tests.rs":
                continue
            path = os.path.join(dirpath, name)
            text = open(path, encoding="utf-8", errors="replace").read()
            code = blank(text)
            cut = code.find("#[cfg(test)]")
            lib = code if cut < 0 else code[:cut]
            n = lib.count("\n")
            if n > file_max:
                print(f"file {os.path.relpath(path, root)}: {n} lines (max {file_max})")
                over += 1
            for fname, line, count in functions(lib):
                if count > fn_max:
                    print(f"fn {os.path.relpath(path, root)}:{line} {fname}: {count} lines (max {fn_max})")
                    over += 1
    print(f"{over} over the limits (functions > {fn_max} lines, files > {file_max} lines)")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
