#!/usr/bin/python3
"""Writes the JPEG decode-throughput inputs and times PIL on them (the peer's figure).

    /usr/bin/python3 tools/image-fixtures/bench_pil_decode.py [OUT_DIR]      (default /tmp/selfsup-jpeg-bench)

Writes photo_500x375.jpg and photo_32x32.jpg (smooth gradients + texture + noise, quality 90, 4:2:0) and
prints images/s of `Image.open(io.BytesIO(data)).convert('RGB')` on one thread, bytes already in memory.
SelfSup's side: JpegDecodeBench.ImagesPerSecond(File.ReadAllBytes(path)).
"""
import io, math, os, random, sys, time
from PIL import Image, ImageFilter


def natural(w, h, seed):
    rnd = random.Random(seed)
    im = Image.new("RGB", (w, h))
    px = []
    for y in range(h):
        for x in range(w):
            u, v = x / w, y / h
            r = 120 + 90 * math.sin(3.1 * u + 1.7 * v) + 25 * math.sin(40 * u * v)
            g = 110 + 70 * math.cos(2.3 * v - 1.1 * u) + 20 * math.sin(25 * u + 9 * v)
            b = 100 + 80 * math.sin(5.0 * v) * math.cos(2.0 * u)
            n = rnd.gauss(0, 10)
            px.append(tuple(max(0, min(255, int(c + n + rnd.gauss(0, 4)))) for c in (r, g, b)))
    im.putdata(px)
    return im.filter(ImageFilter.GaussianBlur(0.6))


def rate(data, seconds=2.0):
    for _ in range(20):
        Image.open(io.BytesIO(data)).convert("RGB")
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(16):
            Image.open(io.BytesIO(data)).convert("RGB")
        n += 16
    return n / (time.perf_counter() - start)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/selfsup-jpeg-bench"
    os.makedirs(out, exist_ok=True)
    for name, (w, h) in [("photo_500x375.jpg", (500, 375)), ("photo_32x32.jpg", (32, 32))]:
        path = os.path.join(out, name)
        natural(w, h, w).save(path, "JPEG", quality=90)
        data = open(path, "rb").read()
        print(f"PIL {name}: {len(data)} bytes, {rate(data):.0f} images/s")


if __name__ == "__main__":
    main()
