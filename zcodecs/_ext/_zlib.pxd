# Declarations from the system zlib (zlib.h); extern only, callable without the GIL.

cdef extern from "zlib.h" nogil:
    ctypedef unsigned char Bytef
    ctypedef unsigned int uInt
    ctypedef unsigned long uLong

    ctypedef struct z_stream:
        const Bytef* next_in
        uInt avail_in
        uLong total_in
        Bytef* next_out
        uInt avail_out
        uLong total_out
        const char* msg
        void* zalloc
        void* zfree
        void* opaque

    ctypedef z_stream* z_streamp

    const char* zlibVersion()
    int deflateInit2(z_streamp strm, int level, int method, int windowBits,
                     int memLevel, int strategy)
    int deflate(z_streamp strm, int flush)
    int deflateEnd(z_streamp strm)
    int deflateReset(z_streamp strm)
    int deflateParams(z_streamp strm, int level, int strategy)
    uLong deflateBound(z_streamp strm, uLong sourceLen)
    int inflateInit2(z_streamp strm, int windowBits)
    int inflate(z_streamp strm, int flush)
    int inflateEnd(z_streamp strm)
    int inflateReset(z_streamp strm)
    uLong crc32(uLong crc, const Bytef* buf, uInt len)
    uLong adler32(uLong adler, const Bytef* buf, uInt len)
    int uncompress(Bytef* dest, uLong* destLen, const Bytef* source, uLong sourceLen)

    enum:
        MAX_WBITS_ZLIB "MAX_WBITS"
        Z_OK
        Z_STREAM_END
        Z_NEED_DICT
        Z_ERRNO
        Z_STREAM_ERROR
        Z_DATA_ERROR
        Z_MEM_ERROR
        Z_BUF_ERROR
        Z_VERSION_ERROR
        Z_NO_FLUSH
        Z_FINISH
        Z_DEFLATED
        Z_DEFAULT_STRATEGY
