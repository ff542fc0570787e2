/* insncount.c - a QEMU TCG plugin that counts guest instructions exactly
 * between two marker addresses (the test firmware's hal_mark_begin and
 * hal_mark_end).
 *
 * Takes: plugin arguments begin=ADDR,end=ADDR (hex 0x... or decimal) and
 * optionally out=FILE (default: QEMU's log, shown with -d plugin).
 * Gives: at exit, one line "insns N1 N2 ..." with the instructions executed
 * from each execution of the begin address up to the next execution of the
 * end address.
 * Holds: every instruction adds one to an inline counter, so the count is
 * exact (no sampling, no translation-block granularity). Debian's QEMU
 * exports the plugin API but ships no qemu-plugin.h, so the few parts of
 * API version 1 used here (QEMU 7.2) are declared below.
 * Build: cc -shared -fPIC -O2 -fvisibility=hidden -o libinsncount.so insncount.c
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- qemu-plugin.h, API version 1, the parts used */
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t; /* only passed through */
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
/* ---- end of the API */

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

#define MAX_MARKS 4096
static uint64_t count;                     /* every guest instruction */
static uint64_t begin_addr, end_addr;
static uint64_t started, intervals[MAX_MARKS];
static int nintervals;
static bool open_interval;
static const char *out_path;

static void on_begin(unsigned int vcpu, void *u)
{
    (void)vcpu;
    (void)u;
    started = count;
    open_interval = true;
}

static void on_end(unsigned int vcpu, void *u)
{
    (void)vcpu;
    (void)u;
    if (open_interval && nintervals < MAX_MARKS)
        intervals[nintervals++] = count - started;
    open_interval = false;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        /* the marks read the counter before this instruction adds itself */
        if (pc == begin_addr)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
        if (pc == end_addr)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &count, 1);
    }
}

static void at_exit(qemu_plugin_id_t id, void *u)
{
    (void)id;
    (void)u;
    static char buf[64 + 24 * MAX_MARKS];
    int k = snprintf(buf, sizeof buf, "insns");
    for (int i = 0; i < nintervals; i++)
        k += snprintf(buf + k, sizeof buf - (size_t)k, " %" PRIu64, intervals[i]);
    snprintf(buf + k, sizeof buf - (size_t)k, "\n");
    FILE *f = out_path ? fopen(out_path, "w") : NULL;
    if (f) {
        fputs(buf, f);
        fclose(f);
    } else {
        qemu_plugin_outs(buf);
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "begin=", 6))
            begin_addr = strtoull(argv[i] + 6, NULL, 0) & ~1ull; /* drop the Thumb bit */
        else if (!strncmp(argv[i], "end=", 4))
            end_addr = strtoull(argv[i] + 4, NULL, 0) & ~1ull;
        else if (!strncmp(argv[i], "out=", 4))
            out_path = argv[i] + 4;
        else {
            fprintf(stderr, "insncount: unknown argument '%s' (begin=, end=, out=)\n", argv[i]);
            return -1;
        }
    }
    if (!begin_addr || !end_addr) {
        fprintf(stderr, "insncount: give begin=ADDR,end=ADDR\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
