/* startup.c - vector table and reset handler of the test firmware
 * (Cortex-M3/M4/M7, no libc). Reset copies .data, clears .bss, turns the
 * FPU on when the build uses it, runs main() and exits with its status.
 * Faults print a line and exit 99, so a broken build never hangs a test. */
#include <stdint.h>

#include "hal.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);

typedef void (*vector_t)(void);

void Reset_Handler(void);
void Default_Handler(void);
void HardFault_Handler(void);

void Reset_Handler(void)
{
    const uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;)
        *dst++ = *src++;
    for (uint32_t *dst = &_sbss; dst < &_ebss;)
        *dst++ = 0;
#if defined(__ARM_FP)
    volatile uint32_t *const cpacr = (volatile uint32_t *)0xE000ED88u;
    *cpacr |= 0xFu << 20; /* CP10, CP11: full access */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    hal_exit(main());
}

void Default_Handler(void)
{
    hal_puts("unexpected exception\n");
    hal_exit(98);
}

void HardFault_Handler(void)
{
    hal_puts("HardFault\n");
    hal_exit(99);
}

__attribute__((section(".isr_vector"), used)) const vector_t vector_table[16] = {
    (vector_t)(uintptr_t)&_estack, Reset_Handler, Default_Handler, HardFault_Handler,
    HardFault_Handler, HardFault_Handler, HardFault_Handler, 0, 0, 0, 0, Default_Handler,
    Default_Handler, 0, Default_Handler, Default_Handler,
};
