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
 * fiber_x86_64.S: the fiber switch for x86_64 (System V ABI), used by
 * fiber.c.  Empty on any other architecture.
 *
 * A suspended context is its stack pointer; the stack holds, from that
 * pointer up: MXCSR (4 bytes) and the x87 control word (2, then 2 of
 * padding), r15, r14, r13, r12, rbx, rbp, and the address to return to.
 * Those are the registers a called function must preserve; everything
 * else the C caller of fiber_arch_switch() already assumes clobbered.
 *
 * Shadow stacks (CET SHSTK) cannot follow a switch that returns on
 * another stack: this file declares IBT only, so that a program linked
 * with it is not marked for shadow stacks.
 */

/*
 * The switch ends with an indirect jump to the popped return address
 * (boost.context does too): the return stack buffer never predicts the
 * return of a switch, the indirect branch predictor often does (about 6
 * ns a switch on the machine of contrib/bench/README.md).  Under IBT
 * that target is no endbr64: there a plain ret, which IBT lets pass.
 */
#if defined(__CET__) && (__CET__ & 1)
#define ENDBR	endbr64
#define SWITCH_RETURN	ret
#else
#define ENDBR
#define SWITCH_RETURN	popq %rcx; .cfi_adjust_cfa_offset -8; \
			.cfi_register %rip, %rcx; jmp *%rcx
#endif

#if defined(__x86_64__) && defined(__LP64__)

	.text

/*
 * void fiber_arch_switch(void **save_sp, void *to_sp);
 * Save the current context on its stack and its stack pointer in
 * *save_sp, then resume the context whose stack pointer is to_sp.  The
 * frame is the same on both sides, so one CFI describes it.
 */
	.globl	fiber_arch_switch
	.hidden	fiber_arch_switch
	.type	fiber_arch_switch, @function
	.p2align 4
fiber_arch_switch:
	.cfi_startproc
	ENDBR
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbx, 0
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r12, 0
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r13, 0
	pushq	%r14
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r14, 0
	pushq	%r15
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r15, 0
	subq	$8, %rsp
	.cfi_adjust_cfa_offset 8
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)

	movq	%rsp, (%rdi)
	movq	%rsi, %rsp

	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	addq	$8, %rsp
	.cfi_adjust_cfa_offset -8
	popq	%r15
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r15
	popq	%r14
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r14
	popq	%r13
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r13
	popq	%r12
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r12
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbx
	popq	%rbp
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbp
	SWITCH_RETURN
	.cfi_endproc
	.size	fiber_arch_switch, .-fiber_arch_switch

/*
 * void *fiber_arch_make(void *top, void (*entry)(void *), void *arg);
 * Lay out, below top, a context that fiber_arch_switch() resumes into
 * fiber_arch_start with entry in r12 and arg in r13, the current MXCSR
 * and x87 control word (a fiber starts with its creator's floating point
 * modes, as a thread does); return its stack pointer.
 */
	.globl	fiber_arch_make
	.hidden	fiber_arch_make
	.type	fiber_arch_make, @function
	.p2align 4
fiber_arch_make:
	.cfi_startproc
	ENDBR
	andq	$-16, %rdi
	leaq	fiber_arch_start(%rip), %rax
	movq	%rax, -8(%rdi)		/* return address */
	movq	$0, -16(%rdi)		/* rbp: the end of the frame chain */
	movq	$0, -24(%rdi)		/* rbx */
	movq	%rsi, -32(%rdi)		/* r12 */
	movq	%rdx, -40(%rdi)		/* r13 */
	movq	$0, -48(%rdi)		/* r14 */
	movq	$0, -56(%rdi)		/* r15 */
	movq	$0, -64(%rdi)
	stmxcsr	-64(%rdi)
	fnstcw	-60(%rdi)
	leaq	-64(%rdi), %rax
	ret
	.cfi_endproc
	.size	fiber_arch_make, .-fiber_arch_make

/*
 * Where a new fiber's first switch returns to, with rsp at the 16-byte
 * aligned top of its stack: call entry(arg), which never returns.  The
 * return address is undefined here, so that unwinders stop.
 */
	.type	fiber_arch_start, @function
	.p2align 4
fiber_arch_start:
	.cfi_startproc
	.cfi_undefined %rip
	movq	%r13, %rdi
	call	*%r12
	ud2
	.cfi_endproc
	.size	fiber_arch_start, .-fiber_arch_start

#if defined(__CET__) && (__CET__ & 1)
	/* GNU_PROPERTY_X86_FEATURE_1_AND: IBT, not SHSTK. */
	.section .note.gnu.property, "a"
	.p2align 3
	.long	4			/* name size */
	.long	16			/* descriptor size */
	.long	5			/* NT_GNU_PROPERTY_TYPE_0 */
	.asciz	"GNU"
	.long	0xc0000002		/* GNU_PROPERTY_X86_FEATURE_1_AND */
	.long	4			/* data size */
	.long	1			/* GNU_PROPERTY_X86_FEATURE_1_IBT */
	.p2align 3
#endif

#endif /* __x86_64__ && __LP64__ */

	.section .note.GNU-stack, "", %progbits
