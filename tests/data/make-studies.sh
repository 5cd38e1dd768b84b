#!/bin/sh
# Builds synthetic mammography test data with real tools (dcmtk, zip, xorriso, python3 stdlib).
# Usage: tests/data/make-studies.sh [OUTDIR]   (default tests/data/out)
# Deterministic and idempotent: the listed outputs are removed and rebuilt; prints OUTDIR.
#
# OUTDIR/
#   study1/{R_CC,R_MLO,L_CC,L_MLO}.dcm   DOE^JANE, MG For Presentation, explicit VR LE,
#                                        undefined-length sequences (one private)
#   variants/R_CC_implicit.dcm           same instances: implicit VR LE
#   variants/L_CC_big.dcm                explicit VR big endian
#   variants/R_MLO_jpeg.dcm              JPEG lossless (encapsulated pixel data)
#   variants/L_MLO_deflate.dcm           deflated explicit VR LE
#   prior/{R_CC,...}.dcm                 DOE^JANE two years earlier, defined-length sequences
#   other/{R_CC,L_CC}.dcm                ROE^RICHARD (wrong patient)
#   cd/DICOMDIR, cd/DICOM/ST00000n/SE000001/IM00000n, cd/VIEWER.EXE, cd/AUTORUN.INF
#   cd.zip, cd.iso                       that folder archived
#   report.pdf, screenshot.png, junk.bin, true.elf
set -eu

OUT=${1:-tests/data/out}
for tool in dump2dcm dcmconv dcmcjpeg dcmmkdir zip xorriso python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "make-studies.sh: $tool not found" >&2; exit 1; }
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/study1" "$OUT/variants" "$OUT/prior" "$OUT/other" "$OUT/cd" "$OUT/.work" \
  "$OUT/cd.zip" "$OUT/cd.iso" "$OUT/report.pdf" "$OUT/screenshot.png" "$OUT/junk.bin" \
  "$OUT/true.elf"
W="$OUT/.work"
mkdir -p "$W" "$OUT/study1" "$OUT/variants" "$OUT/prior" "$OUT/other"
export TZ=UTC LC_ALL=C SOURCE_DATE_EPOCH=1577836800

# 64x64 16-bit little-endian pixels (12 bits stored): a bright half-disc on black.
python3 - "$W/pixels.raw" <<'EOF'
import struct, sys
rows = []
for y in range(64):
    for x in range(64):
        d2 = (x - 0) ** 2 + (y - 32) ** 2
        rows.append(0 if d2 > 50 * 50 else 4095 - d2 // 1)
open(sys.argv[1], "wb").write(struct.pack("<4096H", *rows))
EOF

ROOT=2.25.2024061712000000000000
MG=1.2.840.10008.5.1.4.1.1.1.2

# image OUTFILE NAME PID BIRTH SEX STUDYNO DATE SERIESNO INSTNO LAT VIEW ACCESSION
image() {
  f=$1 name=$2 pid=$3 birth=$4 sex=$5 st=$6 date=$7 se=$8 inst=$9 lat=${10} view=${11}
  acc=${12}
  case $view in
  CC) vcode=R-10242 vmean=cranio-caudal ;;
  *) vcode=R-10226 vmean=medio-lateral-oblique ;;
  esac
  cat >"$W/dump.txt" <<EOF
(0008,0005) CS [ISO_IR 100]
(0008,0008) CS [ORIGINAL\\PRIMARY]
(0008,0016) UI [$MG]
(0008,0018) UI [$ROOT.$st$se$inst]
(0008,0020) DA [$date]
(0008,0030) TM [093000]
(0008,0050) SH [$acc]
(0008,0060) CS [MG]
(0008,0068) CS [FOR PRESENTATION]
(0008,0070) LO [SECONDOP SYNTHETIC]
(0008,0090) PN []
(0008,1030) LO [MAMMO SCREENING BILATERAL]
(0008,1032) SQ (Sequence with undefined length #=1)
  (fffe,e000) na (Item with undefined length #=3)
    (0008,0100) SH [MAMMOSCR]
    (0008,0102) SH [99SECONDOP]
    (0008,0104) LO [Screening mammography]
  (fffe,e00d) na (ItemDelimitationItem)
(fffe,e0dd) na (SequenceDelimitationItem)
(0008,103e) LO [$lat $view]
(0008,2218) SQ (Sequence with undefined length #=1)
  (fffe,e000) na (Item with undefined length #=3)
    (0008,0100) SH [T-04000]
    (0008,0102) SH [SRT]
    (0008,0104) LO [Breast]
  (fffe,e00d) na (ItemDelimitationItem)
(fffe,e0dd) na (SequenceDelimitationItem)
(0009,0010) LO [SECONDOP TEST]
(0009,1010) SQ (Sequence with undefined length #=1)
  (fffe,e000) na (Item with undefined length #=1)
    (0009,0010) LO [SECONDOP TEST]
    (0009,1011) LO [nested private value]
  (fffe,e00d) na (ItemDelimitationItem)
(fffe,e0dd) na (SequenceDelimitationItem)
(0010,0010) PN [$name]
(0010,0020) LO [$pid]
(0010,0030) DA [$birth]
(0010,0040) CS [$sex]
(0018,5101) CS [$view]
(0020,000d) UI [$ROOT.$st]
(0020,000e) UI [$ROOT.$st$se]
(0020,0010) SH [$st]
(0020,0011) IS [$se]
(0020,0013) IS [$inst]
(0020,0020) CS [$( [ "$lat" = R ] && echo 'P\L' || echo 'A\R')]
(0020,0062) CS [$lat]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 64
(0028,0011) US 64
(0028,0100) US 16
(0028,0101) US 12
(0028,0102) US 11
(0028,0103) US 0
(0028,1040) CS [LIN]
(0028,1050) DS [2048]
(0028,1051) DS [4096]
(0028,2110) CS [00]
(0054,0220) SQ (Sequence with undefined length #=1)
  (fffe,e000) na (Item with undefined length #=3)
    (0008,0100) SH [$vcode]
    (0008,0102) SH [SRT]
    (0008,0104) LO [$vmean]
  (fffe,e00d) na (ItemDelimitationItem)
(fffe,e0dd) na (SequenceDelimitationItem)
(7fe0,0010) OW =$W/pixels.raw
EOF
  dump2dcm -q +te ${LENGTHS:--e} "$W/dump.txt" "$f"
}

# study DIR NAME PID BIRTH SEX STUDYNO DATE ACCESSION VIEWS...
study() {
  dir=$1 name=$2 pid=$3 birth=$4 sex=$5 st=$6 date=$7 acc=$8
  shift 8
  inst=1
  for lv in "$@"; do
    lat=${lv%_*} view=${lv#*_}
    image "$dir/$lv.dcm" "$name" "$pid" "$birth" "$sex" "$st" "$date" 1 "$inst" "$lat" "$view" "$acc"
    inst=$((inst + 1))
  done
}

study "$OUT/study1" 'DOE^JANE' SOP0001 19700101 F 1001 20240315 ACC1001 R_CC R_MLO L_CC L_MLO
LENGTHS=+e study "$OUT/prior" 'DOE^JANE' SOP0001 19700101 F 1002 20220310 ACC1002 \
  R_CC R_MLO L_CC L_MLO
study "$OUT/other" 'ROE^RICHARD' SOP0002 19581224 M 2001 20240316 ACC2001 R_CC L_CC

dcmconv -q +ti "$OUT/study1/R_CC.dcm" "$OUT/variants/R_CC_implicit.dcm"
dcmconv -q +tb "$OUT/study1/L_CC.dcm" "$OUT/variants/L_CC_big.dcm"
dcmcjpeg -q "$OUT/study1/R_MLO.dcm" "$OUT/variants/R_MLO_jpeg.dcm"
dcmconv -q +td "$OUT/study1/L_MLO.dcm" "$OUT/variants/L_MLO_deflate.dcm"

# Patient CD: ISO 9660 level 1 names, a DICOMDIR, and the usual bundled viewer.
CD="$OUT/cd"
n=1
for v in R_CC R_MLO L_CC L_MLO; do
  mkdir -p "$CD/DICOM/ST000001/SE000001" "$CD/DICOM/ST000002/SE000001"
  cp "$OUT/study1/$v.dcm" "$CD/DICOM/ST000001/SE000001/IM00000$n"
  cp "$OUT/prior/$v.dcm" "$CD/DICOM/ST000002/SE000001/IM00000$n"
  n=$((n + 1))
done
(cd "$CD" && dcmmkdir -q --recurse +F PATIENT_CD +D DICOMDIR DICOM)
# dcmmkdir invents a random MediaStorageSOPInstanceUID: overwrite it in place, same length.
python3 - "$CD/DICOMDIR" "$ROOT.9" <<'PYEOF'
import struct, sys
path, uid = sys.argv[1], sys.argv[2]
data = bytearray(open(path, "rb").read())
pos = 132
while data[pos:pos + 2] == b"\x02\x00":
    elem, vr, n = struct.unpack_from("<H2sH", data, pos + 2)
    if vr in (b"OB", b"OW", b"UN"):
        n = struct.unpack_from("<I", data, pos + 8)[0] + 4
    if elem == 3:
        data[pos + 8:pos + 8 + n] = (uid + "0" * (n - len(uid))).encode()[:n]
    pos += 8 + n
open(path, "wb").write(data)
PYEOF
{ printf 'MZ\220\000\003\000\000\000\004\000\000\000\377\377\000\000'
  printf 'This program cannot be run in DOS mode.\r\n$'
  printf 'SECONDOP FAKE VIEWER - NOT A REAL PROGRAM\n'; } >"$CD/VIEWER.EXE"
printf '[autorun]\r\nopen=VIEWER.EXE\r\nicon=VIEWER.EXE,0\r\nlabel=PATIENT CD\r\n' >"$CD/AUTORUN.INF"
find "$CD" -exec touch -h -d '2024-03-15 12:00:00' {} +
(cd "$OUT" && find cd -type f | sort | zip -q -X -D "$OUT/cd.zip" -@)
xorriso -no_rc -report_about SORRY -as mkisofs -quiet -V PATIENT_CD -r -J \
  --modification-date=2024031512000000 -o "$OUT/cd.iso" "$CD" >/dev/null 2>&1

# A one-page PDF report; xref offsets are measured as the file grows.
PDF="$OUT/report.pdf"
printf '%%PDF-1.4\n' >"$PDF"
offs=""
obj() {
  offs="$offs $(wc -c <"$PDF")"
  printf '%s 0 obj\n%s\nendobj\n' "$1" "$2" >>"$PDF"
}
STREAM='BT /F1 18 Tf 72 720 Td (Mammography report - synthetic test data) Tj ET'
obj 1 '<< /Type /Catalog /Pages 2 0 R >>'
obj 2 '<< /Type /Pages /Kids [3 0 R] /Count 1 >>'
obj 3 '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>'
obj 4 "<< /Length ${#STREAM} >>
stream
$STREAM
endstream"
obj 5 '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'
xref=$(wc -c <"$PDF")
{ printf 'xref\n0 6\n0000000000 65535 f \n'
  for o in $offs; do printf '%010d 00000 n \n' "$o"; done
  printf 'trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%s\n%%%%EOF\n' "$xref"; } >>"$PDF"

# A small PNG "screenshot", a junk file and an ELF binary.
python3 - "$OUT/screenshot.png" "$OUT/junk.bin" <<'EOF'
import struct, sys, zlib
w, h = 80, 60
raw = b"".join(b"\0" + b"".join(bytes((x * 3, y * 4, 128)) for x in range(w)) for y in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
       chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
x, junk = 12345, bytearray()
for _ in range(3000):
    x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    junk.append(x >> 16 & 0xFF)
open(sys.argv[2], "wb").write(b"NOT A DICOM FILE\n" + bytes(junk))
EOF
cp /bin/true "$OUT/true.elf"

rm -rf "$W"
echo "$OUT"
