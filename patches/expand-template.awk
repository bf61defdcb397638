# Expand one patch template (patches/src/qemu-*/NNNN-*.patch.in) into a patch.
#   awk -v src=patches/src -f expand-template.awk TEMPLATE
# A template is a unified diff against QEMU's source, plus two directives
# that bring in our own files, which live once in patches/src:
#   "+@include FILE"          (inside a hunk) every line of src/FILE, added
#   "@newfile PATH FILE"      (between files) a diff that creates PATH
#                             holding src/FILE
# Hunk headers are recomputed: only each hunk's old start line is read from
# the template, the line counts and the new start follow from the lines.

function fail(msg) {
    printf "expand-template: %s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
    failed = 1
    exit 1
}

function read_file(name, prefix,    path, line, n) {
    path = src "/" name
    n = 0
    while ((getline line < path) > 0)
        body[nbody++] = prefix line
    close(path)
}

# Print the hunk gathered so far with its recomputed header.
function flush_hunk(    i, c, old, new) {
    if (!in_hunk)
        return
    old = new = 0
    for (i = 0; i < nbody; i++) {
        c = substr(body[i], 1, 1)
        if (c == " " || c == "-") old++
        if (c == " " || c == "+") new++
    }
    printf "@@ -%d,%d +%d,%d @@\n", old_start, old, old_start + delta, new
    for (i = 0; i < nbody; i++)
        print body[i]
    delta += new - old
    nbody = 0
    in_hunk = 0
}

BEGIN {
    if (src == "")
        fail("no src directory (-v src=DIR)")
}

/^--- (a\/|\/dev\/null)/ {
    flush_hunk()
    delta = 0   # line offsets are per file
    print
    next
}

/^@@ -[0-9]+/ {
    flush_hunk()
    if (!match($0, /^@@ -[0-9]+/))
        fail("bad hunk header")
    old_start = substr($0, 5, RLENGTH - 4) + 0
    in_hunk = 1
    next
}

/^@newfile / {
    flush_hunk()
    if (NF != 3)
        fail("usage: @newfile PATH FILE")
    read_file($3, "+")
    if (!nbody)
        fail("src/" $3 " is missing or empty")
    print "--- /dev/null"
    print "+++ b/" $2
    printf "@@ -0,0 +1,%d @@\n", nbody
    for (i = 0; i < nbody; i++)
        print body[i]
    nbody = 0
    next
}

in_hunk && /^\+@include / {
    before = nbody
    read_file($2, "+")
    if (nbody == before)
        fail("src/" $2 " is missing or empty")
    next
}

in_hunk && /^[ +\\-]/ {
    body[nbody++] = $0
    next
}

in_hunk {
    fail("unexpected line in a hunk: " $0)
}

{ print }

END {
    if (!failed)
        flush_hunk()
}
