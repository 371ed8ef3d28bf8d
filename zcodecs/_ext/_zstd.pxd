# Declarations from zstd.h (vendored zstd 1.5.7), callable without the GIL, and
# the C-level entry points of zcodecs._ext._zstd for other compiled modules.
from zcodecs._ext._status cimport zc_buf, zc_error

cdef extern from *:
    """
    #define ZSTD_STATIC_LINKING_ONLY
    """

cdef extern from "zstd.h" nogil:
    ctypedef struct ZSTD_CCtx:
        pass
    ctypedef struct ZSTD_DCtx:
        pass
    ctypedef struct ZSTD_inBuffer:
        const void* src
        size_t size
        size_t pos
    ctypedef struct ZSTD_outBuffer:
        void* dst
        size_t size
        size_t pos

    ctypedef enum ZSTD_cParameter:
        ZSTD_c_compressionLevel
        ZSTD_c_checksumFlag
    ctypedef enum ZSTD_ResetDirective:
        ZSTD_reset_session_only
        ZSTD_reset_session_and_parameters

    ctypedef enum ZSTD_ErrorCode:
        ZSTD_error_no_error
        ZSTD_error_GENERIC
        ZSTD_error_prefix_unknown
        ZSTD_error_version_unsupported
        ZSTD_error_frameParameter_unsupported
        ZSTD_error_frameParameter_windowTooLarge
        ZSTD_error_corruption_detected
        ZSTD_error_checksum_wrong
        ZSTD_error_literals_headerWrong
        ZSTD_error_dictionary_corrupted
        ZSTD_error_dictionary_wrong
        ZSTD_error_parameter_unsupported
        ZSTD_error_parameter_combination_unsupported
        ZSTD_error_parameter_outOfBound
        ZSTD_error_memory_allocation
        ZSTD_error_workSpace_tooSmall
        ZSTD_error_dstSize_tooSmall
        ZSTD_error_srcSize_wrong
        ZSTD_error_dstBuffer_null
        ZSTD_error_noForwardProgress_destFull
        ZSTD_error_noForwardProgress_inputEmpty

    unsigned long long ZSTD_CONTENTSIZE_UNKNOWN
    unsigned long long ZSTD_CONTENTSIZE_ERROR

    const char* ZSTD_versionString()
    int ZSTD_minCLevel()
    int ZSTD_maxCLevel()
    size_t ZSTD_compressBound(size_t srcSize)
    unsigned ZSTD_isError(size_t code)
    const char* ZSTD_getErrorName(size_t code)
    ZSTD_ErrorCode ZSTD_getErrorCode(size_t code)
    size_t ZSTD_sizeof_CCtx(const ZSTD_CCtx* cctx)
    size_t ZSTD_sizeof_DCtx(const ZSTD_DCtx* dctx)

    ZSTD_CCtx* ZSTD_createCCtx()
    size_t ZSTD_freeCCtx(ZSTD_CCtx* cctx)
    size_t ZSTD_CCtx_reset(ZSTD_CCtx* cctx, ZSTD_ResetDirective reset)
    size_t ZSTD_CCtx_setParameter(ZSTD_CCtx* cctx, ZSTD_cParameter param, int value)
    size_t ZSTD_compress2(ZSTD_CCtx* cctx, void* dst, size_t dstCapacity,
                          const void* src, size_t srcSize)
    size_t ZSTD_compressCCtx(ZSTD_CCtx* cctx, void* dst, size_t dstCapacity,
                             const void* src, size_t srcSize, int compressionLevel)

    ZSTD_DCtx* ZSTD_createDCtx()
    size_t ZSTD_freeDCtx(ZSTD_DCtx* dctx)
    size_t ZSTD_DCtx_reset(ZSTD_DCtx* dctx, ZSTD_ResetDirective reset)
    size_t ZSTD_decompressDCtx(ZSTD_DCtx* dctx, void* dst, size_t dstCapacity,
                               const void* src, size_t srcSize)
    size_t ZSTD_decompressStream(ZSTD_DCtx* zds, ZSTD_outBuffer* output,
                                 ZSTD_inBuffer* input)
    unsigned long long ZSTD_findDecompressedSize(const void* src, size_t srcSize)
    unsigned long long ZSTD_decompressBound(const void* src, size_t srcSize)


cdef enum:
    # An RLE block (3-byte header + 1 byte) expands to at most 128 KiB: no
    # zstd data -- and no other codec used here -- decodes to more than this
    # many bytes per input byte, so a larger size claim cannot be honest.
    MAX_DECODE_RATIO = 32768
    # A thread keeps its zstd contexts between calls only while each is at
    # most this large (ZSTD_sizeof_CCtx / ZSTD_sizeof_DCtx); a bigger one
    # (high level on a large input, a big-window streaming decode) is freed
    # at the end of the call that grew it.
    ZSTD_CTX_KEEP = 8 << 20


# Per-thread reusable contexts, shared with the blosc module.
cdef ZSTD_CCtx* thread_cctx() except NULL
cdef ZSTD_DCtx* thread_dctx() except NULL
cdef str error_name(size_t code)

# The zcodecs error kind (ZC_ERR_*, see _status.pxd) of a zstd error code,
# looked up by ZSTD_getErrorCode in one table; `fallback` (ZC_ERR_DECODE or
# ZC_ERR_ENCODE) for codes the table does not list.
cdef int zstd_error_kind(size_t code, int fallback) noexcept nogil

# Free this thread's zstd contexts that grew above ZSTD_CTX_KEEP (with the
# GIL, after the C loop that used them; their pointers are then invalid).
cdef int trim_thread_contexts() except -1


# C-level kernels (no Python objects, no GIL needed).  Each returns 0 on
# success or -1 with *err filled (see _status.pxd); contexts come from
# thread_dctx()/thread_cctx(), obtained by the caller with the GIL.

# Decode one or more frames into dst, which the data must fill exactly:
# never writes past dst + dstlen.  OutputSizeError for more or fewer bytes.
cdef int zstd_decode_into(ZSTD_DCtx* dctx, const void* src, size_t srclen, void* dst,
                          size_t dstlen, zc_error* err) noexcept nogil

# Decode into the growable *out (*outlen bytes), trusting a frame header only
# up to MAX_DECODE_RATIO x srclen: what zstd_decompress(data) accepts.
cdef int zstd_decode_alloc(ZSTD_DCtx* dctx, const void* src, size_t srclen, zc_buf* out,
                           size_t* outlen, zc_error* err) noexcept nogil

# Streaming decode (frames without a content size) into *out, at most limit
# bytes; exceeding it is SizeLimitError if user_limit else DecodeError.
cdef int zstd_decode_stream(ZSTD_DCtx* dctx, const void* src, size_t srclen, size_t limit,
                            bint user_limit, zc_buf* out, size_t* outlen,
                            zc_error* err) noexcept nogil

# One frame (content size recorded) into dst[0:cap]; cap >= zstd_bound(n)
# always suffices.  level must be in MIN_LEVEL..MAX_LEVEL.
cdef size_t zstd_bound(size_t n) noexcept nogil
cdef int zstd_encode(ZSTD_CCtx* cctx, int level, bint checksum, const void* src, size_t n,
                     void* dst, size_t cap, size_t* outlen, zc_error* err) noexcept nogil
