# image_content IMG: what a disk image holds, as one stream for a digest:
# its length, its map of data and holes, and its data.  The same as every
# byte for a digest's purpose (a write into a hole shows, as a changed map),
# but only the data is read, which keeps it fast on sparse images (a full
# read of a 2 GiB image takes seconds on the host and over ten in a TCG
# guest).  Uses $WORK/extents.  Sourced by tests/loop/lib.sh and
# tests/stack/lib.sh, each of which digests the stream its own way.
image_content() {
  local img=$1 s l
  stat -c %s "$img"
  xfs_io -r -c "seek -a -r 0" "$img" | awk '
    $1 == "DATA" { start = $2 }
    $1 == "HOLE" && start != "" { print start, $2 - start; start = "" }
    END { if (start != "") print start, "end" }' >"$WORK/extents"
  cat "$WORK/extents"
  while read -r s l; do
    if [ "$l" = end ]; then
      dd if="$img" bs=1M iflag=skip_bytes skip="$s" status=none
    else
      dd if="$img" bs=1M iflag=skip_bytes,count_bytes skip="$s" count="$l" status=none
    fi
  done <"$WORK/extents"
}
