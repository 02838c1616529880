#!/usr/bin/env python3
"""json-section.py - print the manual's JSON part (mdoc) from docs/json-schema.md.

usage: man/json-section.py [docs/json-schema.md]

docs/json-schema.md is the reference for every member of the -F json and
-F ndjson output. The manual carries the same text, from its "## Conventions"
heading to the end, as subsections of OUTPUT: each "##"/"###" heading becomes
an .Ss, paragraphs, bullet lists and code blocks are kept, and each table row
becomes a tagged item whose tag is the member name(s) (.Cm) and whose body
is the type and meaning. The e2e test e2e.json-doc checks that man/mxsniff.8
holds exactly this output between the markers

    .\\" BEGIN json-section.py
    .\\" END json-section.py

After changing docs/json-schema.md, run
    man/json-section.py > /tmp/j && (replace the marked part of man/mxsniff.8)
or simply: man/json-section.py --update
"""
import re
import sys

BEGIN = '.\\" BEGIN json-section.py (generated from docs/json-schema.md: do not edit)'
END = '.\\" END json-section.py'

# Non-ASCII characters the schema uses, as mandoc escapes.
CHARS = {
    '\u00a7': '\\(sc',  # section sign
    '\u00b5': '\\(mc',  # micro sign
    '\u2014': '\\(em',
    '\u2013': '\\(en',
    '\u2192': '\\(->',
    '\u2264': '\\(<=',
    '\u2265': '\\(>=',
    '\u00d7': '\\(mu',
    '\u2026': '...',
    '\u2018': '\\(oq',
    '\u2019': '\\(cq',
    '\u201c': '\\(lq',
    '\u201d': '\\(rq',
}


def esc(s):
    """Escape text for an mdoc text line (not a macro line)."""
    s = s.replace('\\', '\\e')
    out = []
    for ch in s:
        if ord(ch) < 128:
            out.append(ch)
        elif ch in CHARS:
            out.append(CHARS[ch])
        else:
            raise SystemExit('json-section.py: no mdoc escape for %r' % ch)
    return ''.join(out)


def arg(s):
    """One macro argument: escaped, quoted when it has blanks, guarded by \\&."""
    s = esc(s).replace('"', '\\(dq')
    if ' ' in s or '\t' in s:
        return '"\\&' + s + '"'
    return '\\&' + s


def inline(text):
    """Markdown text with `code` and **bold** -> list of mdoc lines."""
    lines = []
    cur = ''
    pos = 0
    pat = re.compile(r'`([^`]*)`|\*\*([^*]+)\*\*')

    def text_line(t):
        # new sentence, new line (mdoc): split after . ! ? (and ".)")
        for part in re.split(r'(?<=[.!?])\s+(?=[A-Z])|(?<=[.!?]\))\s+(?=[A-Z])', t.strip()):
            part = esc(part.strip()) if part else ''
            if part:
                lines.append('\\&' + part if part[:1] in ".'" else part)

    for m in pat.finditer(text):
        cur += text[pos:m.start()]
        pos = m.end()
        # an opening parenthesis glued to the span becomes a delimiter
        opening = ''
        while cur and cur[-1] in '([':
            opening = cur[-1] + opening
            cur = cur[:-1]
        # trailing punctuation goes onto the macro line as delimiters
        punct = ''
        while pos < len(text) and text[pos] in '.,;:)]?!':
            punct += text[pos]
            pos += 1
        text_line(cur)
        cur = ''
        macro = '.Ql' if m.group(1) is not None else '.Sy'
        body = m.group(1) if m.group(1) is not None else m.group(2)
        line = macro
        if opening:
            line += ' ' + ' '.join(opening)
        line += ' ' + arg(body)
        if punct:
            line += ' ' + ' '.join(punct)
        lines.append(line)
    cur += text[pos:]
    text_line(cur)
    return lines


def member_names(cell):
    """`a`, `b` (or "x") -> ['a', 'b']."""
    names = re.findall(r'`"?([^`"]+)"?`', cell)
    if not names:
        names = [cell.strip().strip('"')]
    return names


def plain(cell):
    return esc(cell.replace('`', '').replace('**', '').strip())


def table(rows, out):
    header = [c.strip() for c in rows[0]]
    out.append('.Bl -tag -width Ds')
    for r in rows[2:]:
        cells = [c.strip() for c in r]
        names = member_names(cells[0])
        tag = '.It Cm ' + ' , '.join(names)
        body = []
        for h, c in zip(header[1:], cells[1:]):
            if not c:
                continue
            if h == 'type':
                tag += ' Pq ' + plain(c)
            elif h == 'meaning':
                body.append(c)
            else:
                body.append(h[:1].upper() + h[1:] + ': ' + c + '.')
        out.append(tag)
        text = ' '.join(body).strip()
        if text:
            text = text[0].upper() + text[1:]
            if not text.endswith('.'):
                text += '.'
            out.extend(inline(text))
    out.append('.El')


def convert(md):
    lines = md.split('\n')
    i = 0
    while i < len(lines) and lines[i].strip() != '## Conventions':
        i += 1
    if i == len(lines):
        raise SystemExit('json-section.py: no "## Conventions" heading')
    out = [BEGIN]
    para = []
    need_pp = False

    def flush():
        nonlocal para, need_pp
        if para:
            if need_pp:
                out.append('.Pp')
            out.extend(inline(' '.join(para)))
            para = []
            need_pp = True

    while i < len(lines):
        ln = lines[i]
        s = ln.strip()
        if s.startswith('#'):
            flush()
            title = s.lstrip('#').strip()
            out.append('.Ss ' + plain(title))
            need_pp = False
            i += 1
        elif s.startswith('```'):
            flush()
            if need_pp:
                out.append('.Pp')
            out.append('.Bd -literal -offset indent')
            i += 1
            while i < len(lines) and not lines[i].strip().startswith('```'):
                t = esc(lines[i])
                out.append('\\&' + t if t[:1] in ".'" or t == '' else t)
                i += 1
            out.append('.Ed')
            need_pp = True
            i += 1
        elif s.startswith('|'):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith('|'):
                rows.append(split_row(lines[i].strip()))
                i += 1
            table(rows, out)
            need_pp = True
        elif s.startswith('- '):
            flush()
            out.append('.Bl -bullet')
            while i < len(lines) and lines[i].strip().startswith('- '):
                item = [lines[i].strip()[2:]]
                i += 1
                while i < len(lines) and lines[i].startswith('  ') and lines[i].strip() \
                        and not lines[i].strip().startswith('- '):
                    item.append(lines[i].strip())
                    i += 1
                out.append('.It')
                out.extend(inline(' '.join(item)))
            out.append('.El')
            need_pp = True
        elif not s:
            flush()
            i += 1
        else:
            para.append(s)
            i += 1
    flush()
    out.append(END)
    return '\n'.join(out) + '\n'


def split_row(row):
    """| a | b `x|y` | c | -> cells; a | inside `code` does not split."""
    cells, cur, code = [], '', False
    for ch in row.strip('|'):
        if ch == '`':
            code = not code
        if ch == '|' and not code:
            cells.append(cur)
            cur = ''
        else:
            cur += ch
    cells.append(cur)
    return cells


def main():
    args = [a for a in sys.argv[1:] if a != '--update']
    src = args[0] if args else 'docs/json-schema.md'
    with open(src, encoding='utf-8') as f:
        section = convert(f.read())
    if '--update' not in sys.argv:
        sys.stdout.write(section)
        return
    man = 'man/mxsniff.8'
    with open(man, encoding='utf-8') as f:
        page = f.read()
    a = page.find(BEGIN)
    b = page.find(END)
    if a < 0 or b < 0:
        raise SystemExit('json-section.py: markers not found in ' + man)
    page = page[:a] + section + page[b + len(END) + 1:]
    with open(man, 'w', encoding='utf-8') as f:
        f.write(page)


if __name__ == '__main__':
    main()
