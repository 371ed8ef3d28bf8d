# Declarations from the vendored c-blosc2 and lz4 headers; extern only,
# callable without the GIL.
from libc.stdint cimport int16_t, int32_t


cdef extern from "blosc2.h" nogil:
    ctypedef struct blosc2_context:
        pass
    ctypedef struct blosc2_dparams:
        int16_t nthreads
        void* schunk
        void* postfilter
        void* postparams
        int32_t typesize

    const char* BLOSC2_VERSION_STRING
    void blosc2_init()
    blosc2_context* blosc2_create_dctx(blosc2_dparams dparams)
    void blosc2_free_ctx(blosc2_context* context)
    int blosc2_decompress_ctx(blosc2_context* context, const void* src, int32_t srcsize,
                              void* dest, int32_t destsize)
    int32_t blosc2_bitshuffle(int32_t typesize, int32_t blocksize, const void* src, void* dest)
    int32_t blosc2_bitunshuffle(int32_t typesize, int32_t blocksize, const void* src,
                                void* dest)


# blosclz as c-blosc 1.21 implements it (vendored from the same pinned
# archive, symbols renamed at compile time so they cannot clash with
# c-blosc2's copy): zcodecs' Blosc1 frames then match c-blosc 1.x byte for byte.
cdef extern from *:
    """
    int zc_b1_blosclz_compress(const int clevel, const void* input, int length, void* output,
                               int maxout, const int split_block);
    int zc_b1_blosclz_decompress(const void* input, int length, void* output, int maxout);
    """
    int blosclz_compress "zc_b1_blosclz_compress"(
        int clevel, const void* input, int length, void* output, int maxout,
        int split_block) nogil
    int blosclz_decompress "zc_b1_blosclz_decompress"(
        const void* input, int length, void* output, int maxout) nogil


cdef extern from "lz4.h" nogil:
    const char* LZ4_versionString()
    int LZ4_compressBound(int inputSize)
    int LZ4_compress_fast(const char* src, char* dst, int srcSize, int dstCapacity,
                          int acceleration)
    int LZ4_decompress_safe(const char* src, char* dst, int compressedSize, int dstCapacity)


cdef extern from "lz4hc.h" nogil:
    int LZ4_sizeofStateHC()
    int LZ4_compress_HC_extStateHC(void* state, const char* src, char* dst, int srcSize,
                                   int dstCapacity, int compressionLevel)
