//go:build !purego

#include "textflag.h"

// The carry-less multiplication path of crcUpdate. crc_amd64.go explains the representation,
// the folding and the reduction, and computes the constants used here.

// func cpuCLMUL() (clmul, vpclmul bool)
TEXT ·cpuCLMUL(SB), NOSPLIT, $0-2
	MOVB $0, clmul+0(FP)
	MOVB $0, vpclmul+1(FP)
	XORL AX, AX
	CPUID
	MOVL AX, R9 // the highest standard leaf
	CMPL AX, $1
	JB   done
	MOVL $1, AX
	XORL CX, CX
	CPUID
	// PCLMULQDQ (ECX bit 1) and SSE4.1 (bit 19).
	MOVL CX, R8
	ANDL $(1<<1 | 1<<19), R8
	CMPL R8, $(1<<1 | 1<<19)
	JNE  done
	MOVB $1, clmul+0(FP)
	// AVX (bit 28) and OSXSAVE (bit 27), then the OS saves the XMM and YMM state (XCR0 bits 1, 2).
	ANDL $(1<<27 | 1<<28), CX
	CMPL CX, $(1<<27 | 1<<28)
	JNE  done
	XORL CX, CX
	XGETBV
	ANDL $6, AX
	CMPL AX, $6
	JNE  done
	// AVX2 (leaf 7 EBX bit 5) and VPCLMULQDQ (leaf 7 ECX bit 10).
	CMPL R9, $7
	JB   done
	MOVL $7, AX
	XORL CX, CX
	CPUID
	ANDL $(1<<5), BX
	JZ   done
	ANDL $(1<<10), CX
	JZ   done
	MOVB $1, vpclmul+1(FP)

done:
	RET

// FOLD folds the block in V by the multipliers in K (its first 8 bytes by K's first, its last
// by K's last) and adds the result to ACC; T is clobbered.
#define FOLD(V, K, T, ACC) \
	MOVO      V, T;         \
	PCLMULQDQ $0x00, K, V;  \
	PCLMULQDQ $0x11, K, T;  \
	PXOR      T, V;         \
	PXOR      V, ACC

// STEP64 folds the accumulator A forward by 64 bytes (multipliers in X9) and adds the block at
// off(SI); T is clobbered.
#define STEP64(A, T, off) \
	MOVO      A, T;        \
	PCLMULQDQ $0x00, X9, A; \
	PCLMULQDQ $0x11, X9, T; \
	PXOR      T, A;        \
	MOVOU     off(SI), T;  \
	PXOR      T, A

// STEP128 folds the 256-bit accumulator A forward by 128 bytes (multipliers in Y9) and adds
// the 32 bytes at off(SI); T is clobbered.
#define STEP128(A, T, off) \
	VPCLMULQDQ $0x00, Y9, A, T; \
	VPCLMULQDQ $0x11, Y9, A, A; \
	VPXOR      off(SI), T, T;   \
	VPXOR      T, A, A

// YFOLD folds the 32 bytes in V by the multipliers in K and adds the result to ACC; T is
// clobbered.
#define YFOLD(V, K, T, ACC) \
	VPCLMULQDQ $0x00, K, V, T; \
	VPCLMULQDQ $0x11, K, V, V; \
	VPXOR      T, V, V;        \
	VPXOR      V, ACC, ACC

// AVXMIN is the fewest bytes of blocks for which the 256-bit path pays (BenchmarkMessageCRC); it
// must be at least 32, so that the first pair takes the register.
#define AVXMIN 64

// func crcUpdate(crc uint32, p []byte) uint32
TEXT ·crcUpdate(SB), NOSPLIT, $0-36
	MOVQ p_len+16(FP), CX
	CMPQ CX, $16
	JB   generic
	CMPB ·useCLMUL(SB), $0
	JEQ  generic
	MOVL crc+0(FP), AX
	NOTL AX
	MOVQ p_base+8(FP), SI
	LEAQ (SI)(CX*1), DI     // DI: end of input
	MOVQ AX, X8             // X8: the register, to add to the first block (then 0)

	// The input is cut into a tail of t = 1..16 bytes and 16-byte blocks before it. X13
	// accumulates the folded blocks, starting with the tail: the last 16 bytes of the input
	// with all but the last t masked off.
	LEAQ  -1(CX), DX
	ANDQ  $15, DX
	INCQ  DX                // DX: t
	MOVOU -16(DI), X13
	LEAQ  ·crcKeep(SB), R8
	MOVOU (R8)(DX*1), X0
	PAND  X0, X13
	SUBQ  DX, CX            // CX: bytes in blocks
	JNZ   blocks
	PXOR  X8, X13           // 16 bytes: the tail is the only block
	JMP   tail

blocks:
	// Blocks that end at most crcMaxDist bytes before the end of the input are folded there
	// directly; before them, a loop folds accumulators forward. The 256-bit path folds the
	// tail itself.
	CMPB ·useVPCLMUL(SB), $0
	JEQ  tail
	CMPQ CX, $AVXMIN
	JAE  avx

tail:
	// The tail ends at the end of the input: it takes crcDist[4], as the Folding explains.
	MOVOU     ·crcDist+(4*16)(SB), X5
	MOVO      X13, X11
	PCLMULQDQ $0x00, X5, X13
	PCLMULQDQ $0x11, X5, X11
	PXOR      X11, X13

sse:
	CMPQ    CX, $256
	JB      singles

	// Four accumulators X1-X4, each folded forward by 64 bytes per step.
	MOVOU 0(SI), X1
	PXOR  X8, X1
	PXOR  X8, X8
	MOVOU 16(SI), X2
	MOVOU 32(SI), X3
	MOVOU 48(SI), X4
	ADDQ  $64, SI
	SUBQ  $64, CX
	MOVOU ·crcDist+(64*16)(SB), X9

loop64:
	CMPQ CX, $64
	JB   fold4
	STEP64(X1, X5, 0)
	STEP64(X2, X6, 16)
	STEP64(X3, X7, 32)
	STEP64(X4, X10, 48)
	ADDQ $64, SI
	SUBQ $64, CX
	JMP  loop64

fold4:
	// The accumulators hold the 64 bytes before SI: fold each to the end of the input.
	MOVQ  DI, DX
	SUBQ  SI, DX
	SHLQ  $4, DX
	LEAQ  ·crcDist+(4*16)(SB), R8
	ADDQ  DX, R8            // R8: &crcDist[DI-SI+4]
	MOVOU 0(R8), X5
	MOVOU (16*16)(R8), X6
	MOVOU (32*16)(R8), X7
	MOVOU (48*16)(R8), X10
	FOLD(X4, X5, X11, X13)
	FOLD(X3, X6, X12, X13)
	FOLD(X2, X7, X11, X13)
	FOLD(X1, X10, X12, X13)

singles:
	// The blocks left, each folded to the end of the input.
	TESTQ CX, CX
	JZ    reduce
	MOVQ  DI, DX
	SUBQ  SI, DX
	SHLQ  $4, DX
	LEAQ  ·crcDist+(4*16)(SB), R8
	LEAQ  -256(R8)(DX*1), R8 // R8: &crcDist[DI-SI-16+4], for the block at SI
	MOVOU (SI), X1
	PXOR  X8, X1

single:
	MOVOU (R8), X5
	FOLD(X1, X5, X11, X13)
	SUBQ  $16, CX
	JZ    reduce
	ADDQ  $16, SI
	SUBQ  $256, R8
	MOVOU (SI), X1
	JMP   single

reduce:
	// X13 holds R ≡ M*x^32 (mod P), of degree at most 95.
	// Barrett reduction (see Reduction in crc_amd64.go): X2 holds A in its first 8 bytes and
	// R's terms below x^32 in its third word.
	MOVOU     ·crcBarrett(SB), X1
	MOVO      X13, X2
	PSRLDQ    $4, X2
	MOVO      X2, X0
	PCLMULQDQ $0x00, X1, X0 // A*mu'
	PSLLQ     $1, X0
	PXOR      X2, X0        // Q, in the first 8 bytes
	PCLMULQDQ $0x10, X1, X0 // Q*P: its terms below x^32 in the third word
	PXOR      X2, X0        // R mod P, in the third word
	PEXTRD    $2, X0, AX
	NOTL      AX
	MOVL      AX, ret+32(FP)
	RET

generic:
	JMP ·crcGeneric(SB)

avx:
	// The same with 32-byte registers: pairs of blocks are folded to the end together.
	VMOVDQA X8, X8          // clears the upper half
	VPXOR   Y12, Y12, Y12   // Y12 accumulates as X13 does
	CMPQ    CX, $256
	JB      pairs

	// Four accumulators Y0-Y3, each folded forward by 128 bytes per step.
	VMOVDQU 0(SI), Y0
	VPXOR   Y8, Y0, Y0
	VPXOR   Y8, Y8, Y8
	VMOVDQU 32(SI), Y1
	VMOVDQU 64(SI), Y2
	VMOVDQU 96(SI), Y3
	ADDQ    $128, SI
	SUBQ    $128, CX
	VMOVDQU ·crcFold256(SB), Y9

loop128:
	CMPQ CX, $128
	JB   fold4y
	STEP128(Y0, Y4, 0)
	STEP128(Y1, Y5, 32)
	STEP128(Y2, Y6, 64)
	STEP128(Y3, Y7, 96)
	ADDQ $128, SI
	SUBQ $128, CX
	JMP  loop128

fold4y:
	// The accumulators hold the 128 bytes before SI: fold each to the end of the input.
	MOVQ    DI, DX
	SUBQ    SI, DX
	SHLQ    $5, DX
	LEAQ    ·crcPair+(4*32)(SB), R8
	ADDQ    DX, R8          // R8: &crcPair[DI-SI+4]
	VMOVDQU 0(R8), Y4
	VMOVDQU (32*32)(R8), Y5
	VMOVDQU (64*32)(R8), Y6
	VMOVDQU (96*32)(R8), Y7
	YFOLD(Y3, Y4, Y10, Y12)
	YFOLD(Y2, Y5, Y11, Y12)
	YFOLD(Y1, Y6, Y10, Y12)
	YFOLD(Y0, Y7, Y11, Y12)

pairs:
	// The pairs of blocks left, each folded to the end of the input, up to R12.
	CMPQ    CX, $32
	JB      pairsdone
	MOVQ    DI, DX
	SUBQ    SI, DX
	SHLQ    $5, DX
	LEAQ    ·crcPair+(4*32)(SB), R8
	LEAQ    -1024(R8)(DX*1), R8 // R8: &crcPair[DI-SI-32+4], for the pair at SI
	MOVQ    CX, R12
	ANDQ    $~31, R12
	ADDQ    SI, R12
	ANDQ    $31, CX
	VMOVDQU (SI), Y1
	VPXOR   Y8, Y1, Y1
	VPXOR   Y8, Y8, Y8
	JMP     pairfold

pair:
	VMOVDQU (SI), Y1

pairfold:
	VMOVDQU (R8), Y4
	YFOLD(Y1, Y4, Y10, Y12)
	ADDQ    $32, SI
	SUBQ    $1024, R8
	CMPQ    SI, R12
	JB      pair

pairsdone:
	// The tail, in X13, is not folded yet. A block left over (CX = 16), which ends t bytes
	// before the end of the input (DI-SI = 16+t), makes a pair with it, folded by
	// crcDist[t+4] and crcDist[4]: one 256-bit product where two 128-bit ones would take
	// twice the time.
	TESTQ        CX, CX
	JZ           avxtail
	VMOVDQU      (SI), X1
	VINSERTI128  $1, X13, Y1, Y1
	MOVQ         DI, DX
	SUBQ         SI, DX
	SHLQ         $4, DX
	LEAQ         ·crcDist(SB), R8
	VMOVDQU      -192(R8)(DX*1), X4 // crcDist[t+4], at (16+t)*16 - 12*16
	VINSERTI128  $1, ·crcDist+(4*16)(SB), Y4, Y4
	YFOLD(Y1, Y4, Y10, Y12)
	VEXTRACTI128 $1, Y12, X0
	VPXOR        X0, X12, X13
	VZEROUPPER
	JMP          reduce

avxtail:
	VEXTRACTI128 $1, Y12, X0
	VPXOR        X0, X12, X12
	VZEROUPPER
	MOVOU        ·crcDist+(4*16)(SB), X5
	MOVO         X13, X11
	PCLMULQDQ    $0x00, X5, X13
	PCLMULQDQ    $0x11, X5, X11
	PXOR         X11, X13
	PXOR         X12, X13
	JMP          reduce
