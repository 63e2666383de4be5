/*
 * Copyright (c) 2026 The preforkd developers
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * fiber_aarch64.S: the fiber switch for aarch64 (AAPCS64), used by
 * fiber.c.  Empty on any other architecture.
 *
 * A suspended context is its stack pointer; the 176 bytes above it hold
 * x19-x28, x29 (frame pointer), x30 (the address to return to) and
 * d8-d15, the registers a called function must preserve, and FPCR (the
 * rounding mode: each context keeps its own, as on x86_64).
 */

#if defined(__aarch64__) && defined(__LP64__)

	.text

/*
 * void fiber_arch_switch(void **save_sp, void *to_sp);
 */
	.globl	fiber_arch_switch
	.hidden	fiber_arch_switch
	.type	fiber_arch_switch, %function
	.p2align 4
fiber_arch_switch:
	.cfi_startproc
	sub	sp, sp, #176
	.cfi_def_cfa_offset 176
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mrs	x10, fpcr
	str	x10, [sp, #160]

	mov	x9, sp
	str	x9, [x0]
	mov	sp, x1

	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldr	x10, [sp, #160]
	msr	fpcr, x10
	add	sp, sp, #176
	.cfi_def_cfa_offset 0
	ret
	.cfi_endproc
	.size	fiber_arch_switch, .-fiber_arch_switch

/*
 * void *fiber_arch_make(void *top, void (*entry)(void *), void *arg);
 * A context that fiber_arch_switch() resumes into fiber_arch_start with
 * entry in x19 and arg in x20 and the current FPCR (a fiber starts with
 * its creator's rounding mode, as a thread does); returns its stack
 * pointer.
 */
	.globl	fiber_arch_make
	.hidden	fiber_arch_make
	.type	fiber_arch_make, %function
	.p2align 4
fiber_arch_make:
	.cfi_startproc
	and	x0, x0, #~15
	sub	x0, x0, #176
	stp	x1, x2, [x0, #0]	/* x19, x20 */
	adr	x9, fiber_arch_start
	stp	xzr, x9, [x0, #80]	/* x29: end of the frame chain; x30 */
	mrs	x10, fpcr
	str	x10, [x0, #160]
	ret
	.cfi_endproc
	.size	fiber_arch_make, .-fiber_arch_make

/*
 * Where a new fiber's first switch returns to, with sp at the 16-byte
 * aligned top of its stack: call entry(arg), which never returns.
 */
	.type	fiber_arch_start, %function
	.p2align 4
fiber_arch_start:
	.cfi_startproc
	.cfi_undefined x30
	mov	x0, x20
	blr	x19
	brk	#0
	.cfi_endproc
	.size	fiber_arch_start, .-fiber_arch_start

#endif /* __aarch64__ && __LP64__ */

	.section .note.GNU-stack, "", %progbits
