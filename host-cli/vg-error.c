#include "vg-error.h"

G_DEFINE_QUARK(virt-grow-error-quark, vg_error)
