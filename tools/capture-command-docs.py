#!/usr/bin/env python3
# Captures the command documentation and key specifications that Redis 7.0 reports at run time
# (COMMAND DOCS, COMMAND INFO over RESP3) into src/csredis-server/Commands/CommandDocs.resp3,
# the table behind csredis's COMMAND DOCS/INFO/GETKEYS. Usage: capture-command-docs.py <redis port>
# Output: one RESP3 map, name ("get", "config|get") -> [docs map without "subcommands", tips set, key specs array].
import socket, sys

def read(f):
    line = f.readline()[:-2]
    t, rest = chr(line[0]), line[1:]
    if t in '+-:':
        return (t, rest)
    if t == '$':
        return (t, f.read(int(rest) + 2)[:-2])
    if t in '*~%':
        n = int(rest) * (2 if t == '%' else 1)
        return (t, [read(f) for _ in range(n)])
    raise ValueError(line)

def write(node, out):
    t, v = node
    if t in '+-:':
        out += t.encode() + v + b'\r\n'
    elif t == '$':
        out += b'$%d\r\n' % len(v) + v + b'\r\n'
    else:
        n = len(v) // 2 if t == '%' else len(v)
        out += t.encode() + b'%d\r\n' % n
        for child in v:
            write(child, out)

def pairs(node):
    v = node[1]
    return [(v[i][1].decode(), v[i + 1]) for i in range(0, len(v), 2)]

s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
f = s.makefile('rb')
s.sendall(b'HELLO 3\r\n'); read(f)
s.sendall(b'COMMAND DOCS\r\n'); docs = read(f)
s.sendall(b'COMMAND INFO\r\n'); info = read(f)

table = {}
def add_docs(name, doc):
    entries = [(k, v) for k, v in pairs(doc)]
    kept = []
    for k, v in entries:
        if k == 'subcommands':
            for sub, subdoc in pairs(v):
                add_docs(sub, subdoc)
        else:
            kept += [('$', k.encode()), v]
    table.setdefault(name, {})['docs'] = ('%', kept)
for name, doc in pairs(docs):
    add_docs(name, doc)

def add_info(entry):
    v = entry[1]
    name = v[0][1].decode()
    table.setdefault(name, {})['tips'] = v[7]
    table[name]['specs'] = v[8]
    for sub in v[9][1]:
        add_info(sub)
for entry in info[1]:
    add_info(entry)

out = bytearray()
items = []
for name in sorted(table):
    e = table[name]
    items += [('$', name.encode()), ('*', [e.get('docs', ('%', [])), e.get('tips', ('~', [])), e.get('specs', ('*', []))])]
write(('%', items), out)
open(sys.argv[2] if len(sys.argv) > 2 else 'src/csredis-server/Commands/CommandDocs.resp3', 'wb').write(out)
print(len(table), 'commands,', len(out), 'bytes')
