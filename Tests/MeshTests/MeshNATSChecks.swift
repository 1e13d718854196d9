/// The nats-py script behind `MeshNATSCompatibilityTests`: `client.py CHECK url0 url1 url2 SETTLE` runs one
/// check of the mesh issue's table with clients on different servers and prints its findings as one JSON
/// line. SETTLE is the pause after a SUB's flush before the check relies on it: 0 for the mesh (whose
/// PONG waits until the other nodes know), a little for a nats-server cluster (whose routes tell each
/// other of interest without an acknowledgement).
enum MeshNATSChecks {
    static let script = #"""
import asyncio, json, sys, time
import nats
from nats.errors import NoRespondersError, TimeoutError as NATSTimeout

CHECK, URLS, SETTLE = sys.argv[1], sys.argv[2:5], float(sys.argv[5])

async def conn(i):
    return await nats.connect(URLS[i], allow_reconnect=False, max_reconnect_attempts=0)

async def settle(*ncs):
    for nc in ncs:
        await nc.flush()
    if SETTLE:
        await asyncio.sleep(SETTLE)

def collector(store):
    async def cb(msg):
        store.append(msg)
    return cb

async def drain_wait(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end and not pred():
        await asyncio.sleep(0.01)

async def fanout():
    n0, n1, n2 = await conn(0), await conn(1), await conn(2)
    got1, got2 = [], []
    await n1.subscribe("fan.x", cb=collector(got1))
    await n2.subscribe("fan.x", cb=collector(got2))
    await settle(n1, n2)
    for k in range(1000):
        await n0.publish("fan.x", b"%d" % k)
    await n0.flush()
    await drain_wait(lambda: len(got1) >= 1000 and len(got2) >= 1000, 5)
    await asyncio.sleep(0.1)
    want = [b"%d" % k for k in range(1000)]
    return {"n1": len(got1), "n2": len(got2),
            "in_order": [m.data for m in got1] == want and [m.data for m in got2] == want}

async def wildcards():
    n0, n1, n2 = await conn(0), await conn(1), await conn(2)
    star, gt, lit = [], [], []
    await n1.subscribe("orders.*", cb=collector(star))
    await n1.subscribe("orders.>", cb=collector(gt))
    await n2.subscribe("orders.eu", cb=collector(lit))
    await settle(n1, n2)
    for k in range(20):
        for s in ("orders.eu", "orders.eu.1", "orders.us"):
            await n0.publish(s, b"%d" % k)
    await n0.flush()
    await drain_wait(lambda: len(star) >= 40 and len(gt) >= 60 and len(lit) >= 20, 3)
    await asyncio.sleep(0.1)
    subj = lambda ms: sorted(set(m.subject for m in ms))
    return {"star": len(star), "star_subjects": subj(star), "gt": len(gt), "gt_subjects": subj(gt),
            "literal": len(lit), "literal_subjects": subj(lit)}

async def queue():
    n0, n1, n2 = await conn(0), await conn(1), await conn(2)
    a, b, plain = [], [], []
    await n1.subscribe("jobs", queue="workers", cb=collector(a))
    await n2.subscribe("jobs", queue="workers", cb=collector(b))
    await n2.subscribe("jobs", cb=collector(plain))
    await settle(n1, n2)
    for k in range(1000):
        await n0.publish("jobs", b"%d" % k)
    await n0.flush()
    await drain_wait(lambda: len(a) + len(b) >= 1000 and len(plain) >= 1000, 5)
    await asyncio.sleep(0.2)
    payloads = [m.data for m in a + b]
    return {"member1": len(a), "member2": len(b), "total": len(payloads), "distinct": len(set(payloads)),
            "plain": len(plain)}

async def request():
    n0, n2 = await conn(0), await conn(2)
    async def respond(msg):
        await msg.respond(b"re:" + msg.data, ) if not msg.headers else await n2.publish(
            msg.reply, b"re:" + msg.data, headers={"Echo": msg.headers.get("Trace", "")})
    await n2.subscribe("svc", cb=respond)
    await settle(n2)
    new, old, lat, hdr = 0, 0, [], 0
    for k in range(25):
        t = time.perf_counter()
        r = await n0.request("svc", b"%d" % k, timeout=2)
        lat.append(time.perf_counter() - t)
        new += r.data == b"re:%d" % k
    for k in range(25):
        r = await n0.request("svc", b"%d" % k, timeout=2, old_style=True)
        old += r.data == b"re:%d" % k
    for k in range(5):
        r = await n0.request("svc", b"h", timeout=2, headers={"Trace": "t%d" % k})
        hdr += (r.headers or {}).get("Echo") == "t%d" % k
    lat.sort()
    return {"new_style": new, "old_style": old, "with_headers": hdr, "p50_ms": round(lat[len(lat) // 2] * 1000, 3)}

async def no_responders():
    n0 = await conn(0)
    t = time.perf_counter()
    try:
        await n0.request("nobody.home", b"x", timeout=2)
        outcome = "answered"
    except NoRespondersError:
        outcome = "no_responders"
    except NATSTimeout:
        outcome = "timeout"
    return {"outcome": outcome, "ms": round((time.perf_counter() - t) * 1000, 1),
            "headers_in_info": bool(n0._server_info.get("headers"))}

async def headers():
    n0, n1 = await conn(0), await conn(1)
    far, near = [], []
    await n1.subscribe("h.x", cb=collector(far))
    await n0.subscribe("h.x", cb=collector(near))
    await settle(n0, n1)
    for k in range(10):
        await n0.publish("h.x", b"%d" % k, reply="r.%d" % k, headers={"K": "v%d" % k})
    await n0.flush()
    await drain_wait(lambda: len(far) >= 10 and len(near) >= 10, 3)
    ok = lambda ms: sum(1 for k, m in enumerate(ms) if (m.headers or {}).get("K") == "v%d" % k and m.reply == "r.%d" % k)
    return {"far": len(far), "far_ok": ok(far), "near": len(near), "near_ok": ok(near)}

async def late_joiner():
    n0, n2 = await conn(0), await conn(2)
    seq = 0
    stop = False
    async def publisher():
        nonlocal seq
        while not stop:
            await n0.publish("late.x", b"%d" % seq)
            seq += 1
            if seq % 10 == 0:
                await n0.flush()
                await asyncio.sleep(0.01)
    task = asyncio.create_task(publisher())
    await asyncio.sleep(0.3)
    got = []
    await n2.subscribe("late.x", cb=collector(got))
    await n2.flush()
    acked_at = seq
    t_ack = time.perf_counter()
    if SETTLE:
        await asyncio.sleep(SETTLE)
        acked_at = seq
    await asyncio.sleep(0.7)
    stop = True
    await task
    last = seq
    await n0.flush()
    await asyncio.sleep(0.3)
    have = set(int(m.data) for m in got)
    lost = [s for s in range(acked_at, last) if s not in have]
    return {"published_after_ack": last - acked_at, "lost_after_ack": len(lost), "received": len(got),
            "duplicates": len(got) - len(have)}

async def unsub():
    n0, n1 = await conn(0), await conn(1)
    got = []
    sub = await n1.subscribe("u.x", cb=collector(got))
    await settle(n1)
    stop = False
    async def publisher():
        k = 0
        while not stop:
            await n0.publish("u.x", b"%d" % k)
            k += 1
            if k % 5 == 0:
                await n0.flush()
                await asyncio.sleep(0.01)
    task = asyncio.create_task(publisher())
    await asyncio.sleep(0.3)
    await sub.unsubscribe()
    await n1.flush()
    before = len(got)
    await asyncio.sleep(0.6)
    stop = True
    await task
    return {"received_before": before, "received_after_ack": len(got) - before}

CHECKS = {f.__name__: f for f in (fanout, wildcards, queue, request, no_responders, headers, late_joiner, unsub)}

async def main():
    print(json.dumps(await CHECKS[CHECK]()))

asyncio.run(main())
"""#
}
