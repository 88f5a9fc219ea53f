#!/usr/bin/python3
"""Writes the image-decoding test fixtures and the pixels a reference decoder produces for them.

Run with Debian's python3 and python3-PIL (PIL uses libjpeg-turbo there):

    /usr/bin/python3 tools/image-fixtures/make_image_fixtures.py

Output, in tests/SelfSup.Vision.Tests/Fixtures/images/:
  *.jpg, *.png        the fixtures
  *.ref               reference pixels: raw interleaved bytes (H, W, C)
  manifest.txt        one line per check: image  alpha  width height channels  reference  tolerance
                      (reference "zeros": every sample is 0, used for a large flat image)

Reference semantics (what SelfSup's decoders must reproduce):
  JPEG   PIL's decode (libjpeg-turbo, islow DCT, fancy upsampling) after ImageOps.exif_transpose,
         converted to L (grayscale files) or RGB (colour and CMYK files; PIL assumes Adobe-inverted CMYK).
  PNG    alpha=drop:      PIL's convert('L') for grey types, convert('RGB') for the others (alpha ignored),
                          except 16-bit grey, which PIL converts by clipping to 255; SelfSup keeps the high byte.
         alpha=composite: the drop image with every sample multiplied by alpha: (c*a + 127) // 255, where a is
                          the 8-bit alpha (high byte of 16-bit alpha; tRNS: 0 for the transparent colour or
                          palette entries' tRNS values, else 255).
The PNG files are written by this script's own small encoder so that every colour type, bit depth,
filter type and Adam7 interlacing appears; PIL (an independent decoder) gives the references.
"""
import io, os, random, struct, zlib
from PIL import Image, ImageOps, features

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "tests", "SelfSup.Vision.Tests", "Fixtures", "images")
OUT = os.path.normpath(OUT)
manifest = []


def photo(w, h, seed, mode="RGB"):
    """Smooth gradients plus noise: a small natural-looking image."""
    rnd = random.Random(seed)
    im = Image.new("RGB", (w, h))
    px = []
    for y in range(h):
        for x in range(w):
            r = int(255 * x / max(1, w - 1) * 0.8 + 20 + rnd.randint(-12, 12))
            g = int(255 * y / max(1, h - 1) * 0.7 + 40 + rnd.randint(-12, 12))
            b = int(128 + 90 * ((x * 7 + y * 3) % 23) / 23 - 45 + rnd.randint(-12, 12))
            px.append(tuple(max(0, min(255, v)) for v in (r, g, b)))
    im.putdata(px)
    return im.convert(mode)


def write_ref(name, pixels, w, h, c, alpha="drop", tol=0, image=None):
    assert len(pixels) == w * h * c, (name, len(pixels), w, h, c)
    ref = name.rsplit(".", 1)[0] + ("" if alpha == "drop" else "." + alpha) + ".ref"
    with open(os.path.join(OUT, ref), "wb") as f:
        f.write(bytes(pixels))
    manifest.append(f"{image or name} {alpha} {w} {h} {c} {ref} {tol}")


# ---------------------------------------------------------------- JPEG

def exif_orientation(n, big_endian=False):
    if big_endian:
        tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) \
            + struct.pack(">HHIHH", 0x0112, 3, 1, n, 0) + struct.pack(">I", 0)
    else:
        tiff = b"II\x2a\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) \
            + struct.pack("<HHIHH", 0x0112, 3, 1, n, 0) + struct.pack("<I", 0)
    return b"Exif\x00\x00" + tiff


def jpeg(name, im, **save):
    path = os.path.join(OUT, name)
    im.save(path, "JPEG", **save)
    ref = ImageOps.exif_transpose(Image.open(path))
    ref = ref.convert("L" if ref.mode == "L" else "RGB")
    write_ref(name, ref.tobytes(), ref.width, ref.height, 1 if ref.mode == "L" else 3, tol=1)


def make_jpegs():
    base = photo(17, 13, 1)
    jpeg("rgb444_17x13.jpg", base, quality=90, subsampling=0)
    jpeg("rgb422_17x13.jpg", base, quality=90, subsampling=1)
    jpeg("rgb420_17x13.jpg", base, quality=90, subsampling=2)
    jpeg("rgb420_q50_40x24.jpg", photo(40, 24, 2), quality=50, subsampling=2)
    jpeg("rgb420_progressive_33x21.jpg", photo(33, 21, 3), quality=85, progressive=True)
    jpeg("rgb444_progressive_9x7.jpg", photo(9, 7, 4), quality=95, subsampling=0, progressive=True)
    jpeg("rgb420_1x1.jpg", photo(1, 1, 5), quality=90)
    jpeg("gray_17x13.jpg", photo(17, 13, 6, "L"), quality=90)
    jpeg("gray_progressive_23x9.jpg", photo(23, 9, 7, "L"), quality=80, progressive=True)
    jpeg("cmyk_12x10.jpg", photo(12, 10, 8).convert("CMYK"), quality=90)
    for n in range(1, 9):
        jpeg(f"orientation{n}_19x11.jpg", photo(19, 11, 10 + n), quality=90, exif=exif_orientation(n))
    jpeg("orientation6_bigendian_19x11.jpg", photo(19, 11, 30), quality=90, exif=exif_orientation(6, True))
    jpeg("gray_orientation8_10x6.jpg", photo(10, 6, 31, "L"), quality=90, exif=exif_orientation(8))
    # The smallest a Huffman-coded JPEG gets (2 bits per block): must pass the size-plausibility check.
    flat = "flat_black_gray_optimized_1024x1024.jpg"
    Image.new("L", (1024, 1024)).save(os.path.join(OUT, flat), "JPEG", quality=10, optimize=True)
    ref = Image.open(os.path.join(OUT, flat))
    assert ref.mode == "L" and ref.getextrema() == (0, 0)
    manifest.append(f"{flat} drop 1024 1024 1 zeros 0")


# ---------------------------------------------------------------- PNG (own encoder)

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(samples, depth):
    """samples: list of ints (already per-sample); returns the packed row bytes."""
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    per = 8 // depth
    out = bytearray()
    for i in range(0, len(samples), per):
        byte = 0
        for j in range(per):
            s = samples[i + j] if i + j < len(samples) else 0
            byte |= s << (8 - depth * (j + 1))
        out.append(byte)
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_row(kind, row, prev, bpp):
    out = bytearray([kind])
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i] if prev is not None else 0
        c = prev[i - bpp] if prev is not None and i >= bpp else 0
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - pred) & 0xFF)
    return bytes(out)


def encode_png(w, h, colour, depth, pixels, interlace=False, plte=None, trns=None):
    """pixels[y][x] = tuple of samples at full bit depth. Rows cycle through all five filter types."""
    ch = CHANNELS[colour]
    bpp = max(1, ch * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = bytearray()
    k = 0
    for (x0, y0, dx, dy) in passes:
        xs, ys = list(range(x0, w, dx)), list(range(y0, h, dy))
        if not xs or not ys:
            continue
        prev = None
        for y in ys:
            row = pack_row([s for x in xs for s in pixels[y][x]], depth)
            raw += filter_row(k % 5, row, prev, bpp)
            k += 1
            prev = row
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, int(interlace)))
    if plte is not None:
        data += chunk(b"PLTE", b"".join(bytes(c) for c in plte))
    if trns is not None:
        data += chunk(b"tRNS", trns)
    data += chunk(b"tEXt", b"Comment\x00SelfSup fixture")
    comp = zlib.compress(bytes(raw), 9)
    third = max(1, len(comp) // 3)
    for i in range(0, len(comp), third):        # several IDAT chunks
        data += chunk(b"IDAT", comp[i:i + third])
    return data + chunk(b"IEND", b"")


def png(name, w, h, colour, depth, interlace=False, trns=False, seed=0):
    rnd = random.Random(seed)
    top = (1 << depth) - 1
    plte = None
    trns_bytes = None
    transparent = None
    if colour == 3:
        n = 1 << depth
        plte = [(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)) for _ in range(n)]
        pixels = [[(rnd.randrange(n),) for x in range(w)] for y in range(h)]
        if trns:
            alphas = [rnd.randrange(256) for _ in range(max(1, n // 2))]   # shorter than PLTE: rest opaque
            alphas[0] = 0
            trns_bytes = bytes(alphas)
    else:
        ch = CHANNELS[colour]
        def sample(x, y, c):   # smooth + noise, spread over the full depth, some extremes
            v = (x * 37 + y * 11 + c * 53) / (w * 37 + h * 11 + 200)
            s = int(v * top) + rnd.randint(-top // 20 - 1, top // 20 + 1)
            return max(0, min(top, s))
        pixels = [[tuple(sample(x, y, c) for c in range(ch)) for x in range(w)] for y in range(h)]
        if colour in (4, 6):   # alpha: include fully transparent and opaque pixels
            for y in range(h):
                for x in range(w):
                    a = [0, top, rnd.randint(0, top)][(x + y) % 3]
                    pixels[y][x] = pixels[y][x][:-1] + (a,)
        if trns:
            transparent = pixels[h // 2][w // 2]
            for y in range(h):      # make a few more pixels that colour
                pixels[y][y % w] = transparent
            trns_bytes = b"".join(struct.pack(">H", s) for s in transparent)
    data = encode_png(w, h, colour, depth, pixels, interlace, plte, trns_bytes)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)

    im = Image.open(os.path.join(OUT, name))
    im.load()
    gray = colour in (0, 4)
    c = 1 if gray else 3
    if colour == 0 and depth == 16:   # PIL clips I→L; SelfSup takes the high byte
        drop = bytes(v >> 8 for v in im.getdata())
    else:
        drop = im.convert("L" if gray else "RGB").tobytes()
    write_ref(name, drop, w, h, c, "drop")

    # alpha (8-bit) per pixel, from the generated samples
    def alpha(x, y):
        p = pixels[y][x]
        if colour in (4, 6):
            return p[-1] >> 8 if depth == 16 else p[-1]
        if colour == 3 and trns:
            return trns_bytes[p[0]] if p[0] < len(trns_bytes) else 255
        if trns and p == transparent:
            return 0
        return 255
    if colour in (4, 6) or trns:
        comp = bytearray(len(drop))
        for y in range(h):
            for x in range(w):
                a = alpha(x, y)
                for k in range(c):
                    i = (y * w + x) * c + k
                    comp[i] = (drop[i] * a + 127) // 255
        write_ref(name, comp, w, h, c, "composite")
    else:
        manifest.append(manifest[-1].replace(" drop ", " composite "))


def make_pngs():
    depths = {0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]}
    names = {0: "gray", 2: "rgb", 3: "palette", 4: "grayalpha", 6: "rgba"}
    seed = 100
    for interlace in (False, True):
        w, h = (17, 13) if not interlace else (19, 11)
        for colour, ds in depths.items():
            for d in ds:
                seed += 1
                tag = "_adam7" if interlace else ""
                png(f"{names[colour]}{d}{tag}_{w}x{h}.png", w, h, colour, d, interlace, seed=seed)
    for colour, d in [(0, 8), (0, 16), (0, 2), (2, 8), (2, 16), (3, 8), (3, 4)]:
        seed += 1
        png(f"{names[colour]}{d}_trns_11x7.png", 11, 7, colour, d, trns=True, seed=seed)
    png("rgb8_adam7_3x2.png", 3, 2, 2, 8, interlace=True, seed=seed + 1)      # several empty passes
    png("gray8_adam7_1x1.png", 1, 1, 0, 8, interlace=True, seed=seed + 2)
    png("rgba8_1x1.png", 1, 1, 6, 8, seed=seed + 3)
    # PIL's own encoder, for a file written by other software
    path = os.path.join(OUT, "pil_rgb_24x16.png")
    photo(24, 16, 99).save(path, "PNG")
    write_ref("pil_rgb_24x16.png", Image.open(path).convert("RGB").tobytes(), 24, 16, 3)
    manifest.append(manifest[-1].replace(" drop ", " composite "))


def main():
    assert features.check_feature("libjpeg_turbo"), "PIL must use libjpeg-turbo"
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith((".jpg", ".png", ".ref")) or f == "manifest.txt":
            os.remove(os.path.join(OUT, f))
    make_jpegs()
    make_pngs()
    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("# image alpha width height channels reference tolerance  (written by tools/image-fixtures)\n")
        f.write("\n".join(manifest) + "\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"{len(manifest)} checks, {len(os.listdir(OUT))} files, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
