# lib.sh - what the microcontroller tests and scripts/mcu-report share:
# the recipe's tool flags (../shared/MCU.md), firmware builds, QEMU runs,
# the data set, footprint and stack accounting. Sourced, not run.
# Needs: top_srcdir; SNNC (the compiler) and SNNC_DATADIR for emitting.

MCU_WARN="-std=c99 -Wall -Wextra -Werror"
MCU_OPT="-Os -ffunction-sections -fdata-sections -fno-tree-loop-distribute-patterns -fstack-usage -fcallgraph-info=su"
MCU_M4="-mcpu=cortex-m4 -mthumb"                                          # int8: soft-float ABI
MCU_M4F="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -ffp-contract=off"   # float: the FPU
MCU_HARNESS="$top_srcdir/templates/mcu"
MCU_DATA_DIR=${MCU_DATA_DIR:-/usr/share/datasets/fashion-mnist}
MCU_QEMU_TIMEOUT=${MCU_QEMU_TIMEOUT:-600}
HOST_CC=${HOST_CC:-cc}

# True when the cross compiler and QEMU are installed.
mcu_have_tools() {
    command -v arm-none-eabi-gcc >/dev/null 2>&1 && command -v arm-none-eabi-size >/dev/null 2>&1 &&
        command -v qemu-system-arm >/dev/null 2>&1
}

# mcu_dataset DIR: the Fashion-MNIST test set, uncompressed, into DIR.
mcu_dataset() {
    for f in t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
        if [ -f "$MCU_DATA_DIR/$f.gz" ]; then
            gzip -dc "$MCU_DATA_DIR/$f.gz" >"$1/$f" || return 1
        elif [ -f "$MCU_DATA_DIR/$f" ]; then
            cp "$MCU_DATA_DIR/$f" "$1/$f" || return 1
        else
            return 1
        fi
    done
}

# mcu_embed DIR N OUTDIR: OUTDIR/mcu_images.h with the first N test images
# of the set in DIR (see mcu_dataset).
mcu_embed() {
    $HOST_CC -O2 -o "$3/idx2c" "$top_srcdir/tests/mcu/idx2c.c" &&
        "$3/idx2c" "$1/t10k-images-idx3-ubyte" "$1/t10k-labels-idx1-ubyte" "$2" >"$3/mcu_images.h"
}

# mcu_firmware OUT.elf MODELDIR CPUFLAGS [CFLAGS...]: the test firmware
# (startup, semihosting HAL, test_main) around MODELDIR/model.c; the model is
# compiled on its own so that the link map can name its sections (OUT.map).
mcu_firmware() {
    out=$1 mdir=$2 cpu=$3
    shift 3
    obj=${out%.elf}
    # shellcheck disable=SC2086
    arm-none-eabi-gcc $MCU_WARN $MCU_OPT $cpu "$@" -I"$mdir" -c -o "$obj-model.o" "$mdir/model.c" &&
        arm-none-eabi-gcc $MCU_WARN $MCU_OPT $cpu "$@" -I"$mdir" -I"$MCU_HARNESS" -I"$(dirname "$out")" \
            -o "$out" "$MCU_HARNESS/startup.c" "$MCU_HARNESS/test_main.c" "$MCU_HARNESS/hal_semi.c" \
            "$obj-model.o" -nostdlib -T "$MCU_HARNESS/cm.ld" -Wl,--gc-sections -Wl,-Map="$obj.map" -lgcc
}

# mcu_host OUT MODELDIR [CFLAGS...]: the same test main built for this machine.
mcu_host() {
    out=$1 mdir=$2
    shift 2
    # shellcheck disable=SC2086
    $HOST_CC $MCU_WARN -O2 "$@" -I"$mdir" -I"$MCU_HARNESS" -I"$(dirname "$out")" -o "$out" \
        "$MCU_HARNESS/test_main.c" "$MCU_HARNESS/hal_host.c" "$mdir/model.c"
}

# mcu_qemu ELF [QEMU ARGS...]: runs the firmware on an emulated Cortex-M4;
# its stdout is the firmware's, the status QEMU's (the firmware's exit status).
mcu_qemu() {
    elf=$1
    shift
    timeout "$MCU_QEMU_TIMEOUT" qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
        -chardev stdio,id=sh0 -semihosting-config enable=on,target=native,chardev=sh0 -kernel "$elf" "$@"
}

# mcu_symbol ELF NAME: the address of a symbol, 0x-prefixed.
mcu_symbol() {
    arm-none-eabi-nm "$1" | awk -v s="$2" '$3 == s { print "0x" $1; exit }'
}

# mcu_model_bytes MAP OBJ: "FLASH RAM" bytes that the linker kept from OBJ.
mcu_model_bytes() {
    awk -v obj="$2" '
        /^Linker script and memory map/ { on = 1; next }
        !on { next }
        /^ \.[a-zA-Z_.]/ { sec = $1; if (NF >= 4) line(sec, $3, $4); next }
        /^                0x/ && sec != "" { line(sec, $2, $3); sec = ""; next }
        { sec = "" }
        function line(s, size, file) {
            n = length(obj)
            if (substr(file, length(file) - n + 1) != obj) return
            v = hex(size)
            if (s ~ /^\.(text|rodata)/) flash += v
            else if (s ~ /^\.data/) { flash += v; ram += v }
            else if (s ~ /^\.bss/ || s ~ /^COMMON/) ram += v
        }
        function hex(s,   i, c, v) {
            v = 0
            s = tolower(substr(s, 3))
            for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
            return v
        }
        END { printf "%d %d\n", flash, ram }' "$1"
}

# mcu_stack ROOT CI_FILES...: the worst-case stack in bytes of the call tree
# under function ROOT, from gcc -fcallgraph-info=su (.ci files): each
# function's frame plus its deepest callee's. A call to a function with no
# .ci node (libgcc) counts 0 and is named on stderr.
mcu_stack() {
    root=$1
    shift
    cat "$@" | awk -v root="$root" '
        /^node:/ {
            t = $0; sub(/.*title: "/, "", t); sub(/".*/, "", t)
            l = $0; sub(/.*\\n/, "", l); sub(/ bytes.*/, "", l)
            size[t] = l + 0
            short = t; sub(/.*:/, "", short); id[short] = t
        }
        /^edge:/ {
            s = $0; sub(/.*sourcename: "/, "", s); sub(/".*/, "", s)
            d = $0; sub(/.*targetname: "/, "", d); sub(/".*/, "", d)
            nout[s]++; out[s, nout[s]] = d
        }
        function depth(f, lvl,   i, best, v) {
            if (!(f in size)) { if (f in id) f = id[f]; else { print "mcu_stack: no frame size for " f > "/dev/stderr"; return 0 } }
            if (lvl > 64) { print "mcu_stack: recursion at " f > "/dev/stderr"; return 0 }
            best = 0
            for (i = 1; i <= nout[f]; i++) { v = depth(out[f, i], lvl + 1); if (v > best) best = v }
            return size[f] + best
        }
        END { print depth(root, 0) }'
}
