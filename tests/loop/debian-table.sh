# shellcheck shell=bash
# The partition table of a Debian guest installed from the ISO with the
# installer's default guided partitioning, for the --move-swap tests (loop
# disks, the agent, the power cuts; and virt-grow's, on the image file of a
# domain).  Sourced by tests/loop/lib.sh and tests/powercut/lib.sh.

# debian_mbr_table SIZE SWAP_MIB [SECTOR_SIZE]: the sfdisk script of the
# table Debian's installer writes with its guided partitioning ("all files
# in one partition") on an MBR disk of SIZE bytes (SECTOR_SIZE: 512): a
# bootable Linux partition 1 from 1 MiB on; extended partition 2 from two
# sectors short of 1 MiB after it up to 1 MiB before the disk's end,
# holding logical partition 5, Linux swap of SWAP_MIB from the next MiB on
# (its EBR the extended partition's first sector).  A disk or an image
# file: debian_mbr_table "$(stat -c %s IMG)" 975 | sfdisk IMG
debian_mbr_table() {
  local mib=$(( $1 >> 20 )) swap=$2 m=$(( (1 << 20) / ${3:-512} ))
  local swap_at=$(( (mib - 1 - swap) * m )) end=$(( (mib - 1) * m ))
  printf 'label: dos\nstart=%d, size=%d, type=83, bootable\n' "$m" $(( (mib - 3 - swap) * m ))
  printf 'start=%d, size=%d, type=5\n' $((swap_at - 2)) $((end - swap_at + 2))
  printf 'start=%d, size=%d, type=82\n' "$swap_at" $((end - swap_at))
}
