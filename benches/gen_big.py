#!/usr/bin/env python3
"""Generates large usim models for the compile-latency benchmark (benches/compile.sh).

    gen_big.py model LINES            a realistic model of about LINES lines: modules of
                                      params, consts, structs, locks, queues, resources,
                                      channels, array vars, fns with loops and ifs, and
                                      processes (sources, workers, watchers) that use them
    gen_big.py process STATEMENTS     one process whose body is STATEMENTS statements
                                      mixing int and float arithmetic on locals and global
                                      vars, ifs, lets and awaits
    gen_big.py repeat N TYPE IN VAR   the same statement N times (`x += 1`, or `x += 1.0`
                                      for TYPE float) in one body: IN is `process` or
                                      `fn`, VAR `local` (a `let`) or `global` (a `var`)

The model goes to stdout. Every model is deterministic (the same arguments give
the same text), compiles, and runs to its end (`usimc run`).
"""

import sys


def module(i):
    """One module of the realistic model: about 110 lines."""
    return f"""\
// ---- module {i}: a station with a source, workers, a watcher and a reviewer
param M{i}_JOBS: int = {20 + i % 7}
param M{i}_ARRIVAL: float = {1.0 + (i % 5) * 0.25}
param M{i}_WORK: float = {0.8 + (i % 3) * 0.1}
const M{i}_WORKERS = {2 + i % 3}
const M{i}_BINS = 8
const M{i}_LIMIT = M{i}_BINS * 2 - 1

struct Job{i} {{ id: int, size: float, arrived: float, kind: int }}

lock m{i}_machines(capacity: M{i}_WORKERS)
queue m{i}_jobs: Job{i}(capacity: {3 + i % 4})
resource m{i}_stock(capacity: 100.0, level: 60.0)
channel m{i}_news: int

var m{i}_done: int = 0
var m{i}_failed: int = 0
var m{i}_busy: float = 0.0
var m{i}_wait: float = 0.0
var m{i}_hist: [int; M{i}_BINS] = [0; M{i}_BINS]
var m{i}_level: float = 60.0

fn m{i}_cost(job: Job{i}, worker: int) -> float {{
    let cost = job.size * M{i}_WORK
    for r in 0..worker + 1 {{
        if (job.id + r) % 3 == 0 {{
            cost += 0.1 * float(r)
        }} else if job.kind == 2 {{
            cost *= 1.01
        }} else {{
            cost -= 0.01
        }}
    }}
    return max(cost, 0.05)
}}

fn m{i}_bin(x: float) -> int {{
    let b = int(x * 2.0)
    if b < 0 {{
        return 0
    }}
    return min(b, M{i}_BINS - 1)
}}

fn m{i}_checksum(xs: [int; M{i}_BINS]) -> int {{
    let total = 0
    let k = 1
    for x in xs {{
        total += x * k
        k += 1
    }}
    return total % 1000003
}}

process m{i}_source() {{
    for id in 0..M{i}_JOBS {{
        await delay(exponential(M{i}_ARRIVAL))
        let job = Job{i} {{ id: id, size: uniform(0.5, 1.5), arrived: now, kind: id % 3 }}
        await m{i}_jobs.put(job)
        if id % 5 == 4 {{
            m{i}_news.send(id)
        }}
    }}
    // One end marker for each worker.
    for w in 0..M{i}_WORKERS {{
        await m{i}_jobs.put(Job{i} {{ id: -1, size: 0.0, arrived: now, kind: 0 }})
    }}
}}

process m{i}_worker(w: int) {{
    for job in m{i}_jobs {{
        if job.id < 0 {{
            break
        }}
        let waited = now - job.arrived
        m{i}_wait += waited
        m{i}_hist[m{i}_bin(waited)] += 1
        record m{i}_waits = waited
        with m{i}_machines {{
            let t = m{i}_cost(job, w)
            await m{i}_stock.get(t)
            m{i}_level = m{i}_stock.level()
            await delay(t)
            m{i}_busy += t
        }}
        if job.kind == 1 && uniform(0.0, 1.0) < 0.05 {{
            m{i}_failed += 1
        }} else {{
            m{i}_done += 1
        }}
    }}
}}

process m{i}_refill() {{
    loop {{
        await m{i}_level < 20.0
        await delay(2.0)
        await m{i}_stock.put(50.0)
        m{i}_level = m{i}_stock.level()
        if m{i}_done + m{i}_failed == M{i}_JOBS {{
            return
        }}
    }}
}}

process m{i}_listener() {{
    let heard = 0
    until delay(M{i}_JOBS * M{i}_ARRIVAL * 3.0) {{
        for n in m{i}_news {{
            heard += 1
            if n >= M{i}_LIMIT * 100 {{
                break
            }}
        }}
    }}
}}

process m{i}_station() -> int {{
    spawn m{i}_refill()
    spawn m{i}_listener()
    scope {{
        spawn m{i}_source()
        for w in 0..M{i}_WORKERS {{
            spawn m{i}_worker(w)
        }}
    }}
    select {{
        await delay(1.0) => {{
            m{i}_busy += 0.0
        }}
        await m{i}_level > 1000.0 => {{
            m{i}_failed += 1
        }}
    }}
    return m{i}_checksum(m{i}_hist)
}}

"""


def model(lines):
    parts = []
    count = 0
    i = 0
    # The main process adds about 4 lines a module; leave room for it.
    while count + 110 + 4 * (i + 1) + 12 <= lines or i == 0:
        text = module(i)
        parts.append(text)
        count += text.count("\n")
        i += 1
    modules = i
    main = ["process main() {", "    let total = 0"]
    for k in range(modules):
        main.append(f"    let h{k} = spawn m{k}_station()")
    for k in range(modules):
        main.append(f"    total += await h{k}")
        main.append(f"    m{k}_done += 0")
        main.append(f'    print("station {k}: {{m{k}_done}} done, {{m{k}_failed}} failed, checksum {{total}}")')
    main += [
        '    print("all {total} at {now:.3}")',
        "    stop",
        "}",
        "",
        "run main()",
    ]
    return "".join(parts) + "\n".join(main) + "\n"


def process(statements):
    """One process body of exactly `statements` statements (a nested one counts too)."""
    head = [
        "var count: int = 0",
        "var total: float = 0.0",
        "var flags: [int; 4] = [0; 4]",
        "",
        "process long() {",
        "    let a = 1",
        "    let b = 2",
        "    let f = 0.5",
        "    let g = 1.5",
    ]
    body = []
    n = 4  # the four lets above
    k = 0
    while n < statements:
        left = statements - n
        step = k % 12
        if step == 0 and left >= 3:
            body += [
                f"    if a % {3 + k % 5} == 0 {{",
                "        b += 1",
                "    } else {",
                "        g -= 0.25",
                "    }",
            ]
            n += 3
        elif step == 1:
            body.append(f"    a += {1 + k % 9}")
            n += 1
        elif step == 2:
            body.append(f"    f = f * 0.999 + {k % 10}.5")
            n += 1
        elif step == 3:
            body.append("    count += 1")
            n += 1
        elif step == 4:
            body.append("    total += f - g")
            n += 1
        elif step == 5:
            body.append(f"    let t{k} = a * 3 - b + {k % 17}")
            n += 1
        elif step == 6:
            body.append(f"    b = b % 1000 + t{k - 1} % 7")
            n += 1
        elif step == 7 and left >= 2:
            body += [f"    if f > g + {k % 4}.0 && b >= 0 && b < 500 {{", "        flags[b % 4] += 1", "    }"]
            n += 2
        elif step == 8:
            body.append("    g = g + sqrt(f) * 0.001")
            n += 1
        elif step == 9 and k % 48 == 9:
            body.append(f"    await delay({1 + k % 3}.0)")
            n += 1
        elif step == 10:
            body.append("    a = a % 100000 + int(g)")
            n += 1
        else:
            body.append("    b -= 1")
            n += 1
        k += 1
    tail = [
        '    print("{a} {b} {f:.3} {g:.3} {count} {total:.3} {flags[0]} {now}")',
        "}",
        "",
        "run long()",
    ]
    return "\n".join(head + body + tail) + "\n"


def repeat(n, ty, where, var):
    one = "1" if ty == "int" else "1.0"
    body = "".join(f"    x += {one}\n" for _ in range(n))
    decl = f"var x: {ty} = {'0' if ty == 'int' else '0.0'}\n\n" if var == "global" else ""
    local = f"    let x = {'0' if ty == 'int' else '0.0'}\n" if var == "local" else ""
    if where == "process":
        return f'{decl}process p() {{\n{local}{body}    print("{{x}}")\n}}\n\nrun p()\n'
    if var == "local":
        return f'fn f() -> {ty} {{\n{local}{body}    return x\n}}\n\nprocess p() {{\n    print("{{f()}}")\n}}\n\nrun p()\n'
    return f'{decl}fn f() {{\n{body}}}\n\nprocess p() {{\n    f()\n    print("{{x}}")\n}}\n\nrun p()\n'


def main(argv):
    usage = __doc__.split("\n\n")[1]
    try:
        if argv[1] == "model" and len(argv) == 3:
            out = model(int(argv[2]))
        elif argv[1] == "process" and len(argv) == 3:
            out = process(int(argv[2]))
        elif (
            argv[1] == "repeat"
            and len(argv) == 6
            and argv[3] in ("int", "float")
            and argv[4] in ("process", "fn")
            and argv[5] in ("local", "global")
        ):
            out = repeat(int(argv[2]), argv[3], argv[4], argv[5])
        else:
            raise ValueError
    except (IndexError, ValueError):
        sys.stderr.write("usage:\n" + usage + "\n")
        return 2
    sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
