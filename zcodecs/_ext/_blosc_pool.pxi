# A small pool of native threads that run the blocks of one Blosc frame.
#
# Included by _blosc.pyx.  One job at a time: the calling thread claims the
# pool, publishes the job, works on blocks itself and then waits (without
# the GIL) for the helpers.  A caller that finds the pool busy does its job
# alone, so concurrent callers never wait on each other and threads never
# multiply.  Threads are created on first use, forgotten in a forked child
# (pthread_atfork: the child has none of them and starts new ones when
# needed) and joined at interpreter exit.  Each worker owns its Scratch and
# zstd contexts, created lazily in the worker; no Python object is touched.

cdef extern from "<pthread.h>" nogil:
    ctypedef struct pthread_mutex_t:
        pass
    ctypedef struct pthread_cond_t:
        pass
    ctypedef unsigned long pthread_t
    int pthread_mutex_init(pthread_mutex_t* m, const void* attr)
    int pthread_mutex_lock(pthread_mutex_t* m)
    int pthread_mutex_unlock(pthread_mutex_t* m)
    int pthread_cond_init(pthread_cond_t* c, const void* attr)
    int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m)
    int pthread_cond_signal(pthread_cond_t* c)
    int pthread_cond_broadcast(pthread_cond_t* c)
    int pthread_create(pthread_t* t, const void* attr, void* (*start)(void*) noexcept nogil,
                       void* arg)
    int pthread_join(pthread_t t, void** ret)
    int pthread_atfork(void (*prepare)() noexcept nogil, void (*parent)() noexcept nogil,
                       void (*child)() noexcept nogil)


cdef extern from *:
    """
    static inline int zc_atomic_next(int *p) { return __atomic_fetch_add(p, 1, __ATOMIC_RELAXED); }
    static inline void zc_atomic_set_min(int *p, int v) {
        int cur = __atomic_load_n(p, __ATOMIC_RELAXED);
        while ((cur == 0 || v < cur) &&
               !__atomic_compare_exchange_n(p, &cur, v, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
    }
    """
    int zc_atomic_next(int* p) noexcept nogil
    void zc_atomic_set_min(int* p, int v) noexcept nogil


cdef enum:
    POOL_MAX = 64                  # helper threads at most
    MAX_CACHED_STAGE = 64 << 20    # the encoder's staging area kept between calls


cdef struct Worker:
    pthread_t tid
    int index
    unsigned long seen             # last job generation this worker looked at
    Scratch* s
    ZSTD_CCtx* cctx
    ZSTD_DCtx* dctx
    Scratch own                    # pool workers' own state (s points here)


cdef struct Job


ctypedef int (*block_fn)(Job* job, int b, Worker* w) noexcept nogil


cdef struct Job:
    block_fn fn
    int nblocks
    int next                       # next block to take (atomic)
    int failed                     # smallest failure code seen (0 = none; atomic)
    # encoder
    const uint8_t* src
    int32_t nbytes, blocksize, typesize
    int cname, clevel, shuffle
    bint split
    uint8_t* stage
    size_t slot
    int32_t* sizes
    # decoder
    const uint8_t* frame
    int32_t cbytes
    uint8_t* dst
    int compcode
    uint8_t flags


cdef pthread_mutex_t _pool_lock
cdef pthread_cond_t _work_cv
cdef pthread_cond_t _done_cv
cdef Worker* _workers[POOL_MAX]
cdef int _started = 0              # workers whose thread runs
cdef unsigned long _generation = 0
cdef int _active = 0               # workers that may join the current job
cdef int _inside = 0               # workers working on it now
cdef bint _busy = False
cdef bint _stop = False
cdef Job* _job = NULL
cdef uint8_t* _stage = NULL        # encoder staging area, owned by the busy caller
cdef size_t _stage_cap = 0


cdef void _run_blocks(Job* job, Worker* w) noexcept nogil:
    cdef int b, rc
    while True:
        b = zc_atomic_next(&job.next)
        if b >= job.nblocks:
            return
        rc = job.fn(job, b, w)
        if rc != 0:
            zc_atomic_set_min(&job.failed, rc)


cdef void* _worker_main(void* arg) noexcept nogil:
    global _inside
    cdef Worker* w = <Worker*>arg
    cdef Job* job
    pthread_mutex_lock(&_pool_lock)
    while True:
        while not _stop and _generation == w.seen:
            pthread_cond_wait(&_work_cv, &_pool_lock)
        if _generation == w.seen:
            break  # stop requested
        w.seen = _generation
        # A worker that wakes after the job is over finds _job NULL: the caller
        # never waits for helpers that did not join.
        if _job is not NULL and w.index < _active:
            job = _job
            _inside += 1
            pthread_mutex_unlock(&_pool_lock)
            _run_blocks(job, w)
            pthread_mutex_lock(&_pool_lock)
            _inside -= 1
            if _inside == 0:
                pthread_cond_signal(&_done_cv)
    pthread_mutex_unlock(&_pool_lock)
    return NULL


cdef int _pool_claim(int helpers) noexcept nogil:
    """Claim the pool with up to ``helpers`` worker threads; returns how many (0: run alone)."""
    global _started, _busy
    cdef int i
    cdef Worker* w
    if helpers <= 0:
        return 0
    if helpers > POOL_MAX:
        helpers = POOL_MAX
    pthread_mutex_lock(&_pool_lock)
    if _busy or _stop:
        pthread_mutex_unlock(&_pool_lock)
        return 0
    while _started < helpers:
        i = _started
        if _workers[i] is NULL:
            _workers[i] = <Worker*>calloc(1, sizeof(Worker))
            if _workers[i] is NULL:
                break
            _workers[i].index = i
            _workers[i].s = &_workers[i].own
        w = _workers[i]
        w.seen = _generation
        if pthread_create(&w.tid, NULL, _worker_main, w) != 0:
            break
        _started += 1
    if _started < helpers:
        helpers = _started
    if helpers > 0:
        _busy = True
    pthread_mutex_unlock(&_pool_lock)
    return helpers


cdef void _pool_run(Job* job, int helpers, Worker* caller) noexcept nogil:
    """Run ``job`` on the claimed pool (``helpers`` from _pool_claim) and the caller.

    The caller takes blocks like any helper; once none is left it waits only
    for the helpers still working on one (a helper that has not woken up yet
    is not waited for, so a loaded machine costs no extra wake-up latency).
    """
    global _job, _active, _generation
    pthread_mutex_lock(&_pool_lock)
    _job = job
    _active = helpers
    _generation += 1
    pthread_cond_broadcast(&_work_cv)
    pthread_mutex_unlock(&_pool_lock)
    _run_blocks(job, caller)
    pthread_mutex_lock(&_pool_lock)
    while _inside > 0:
        pthread_cond_wait(&_done_cv, &_pool_lock)
    _job = NULL
    _active = 0
    pthread_mutex_unlock(&_pool_lock)


cdef void _pool_release() noexcept nogil:
    global _stage, _stage_cap, _busy
    pthread_mutex_lock(&_pool_lock)
    if _stage_cap > MAX_CACHED_STAGE:
        free(_stage)
        _stage = NULL
        _stage_cap = 0
    _busy = False
    pthread_mutex_unlock(&_pool_lock)


cdef uint8_t* _pool_stage(size_t n) noexcept nogil:
    """The claimed pool's staging area of at least n bytes (NULL: out of memory)."""
    global _stage, _stage_cap
    cdef uint8_t* p
    if n > _stage_cap:
        p = <uint8_t*>malloc(n)
        if p is NULL:
            return NULL
        free(_stage)
        _stage = p
        _stage_cap = n
    return _stage


cdef void _free_worker_state(Worker* w) noexcept nogil:
    _release_scratch(&w.own)
    if w.cctx is not NULL:
        ZSTD_freeCCtx(w.cctx)
    if w.dctx is not NULL:
        ZSTD_freeDCtx(w.dctx)


cdef void _pool_shutdown(bint final) noexcept nogil:
    """Join the threads; final: free the workers' states and stay stopped (serial from then)."""
    global _started, _stop, _stage, _stage_cap
    cdef int i, n
    pthread_mutex_lock(&_pool_lock)
    _stop = True
    n = _started
    pthread_cond_broadcast(&_work_cv)
    pthread_mutex_unlock(&_pool_lock)
    for i in range(n):
        pthread_join(_workers[i].tid, NULL)
    pthread_mutex_lock(&_pool_lock)
    _started = 0
    if not final:
        _stop = False
    elif not _busy:
        for i in range(POOL_MAX):
            if _workers[i] is not NULL:
                _free_worker_state(_workers[i])
                free(_workers[i])
                _workers[i] = NULL
        free(_stage)
        _stage = NULL
        _stage_cap = 0
    pthread_mutex_unlock(&_pool_lock)


cdef void _atfork_prepare() noexcept nogil:
    pthread_mutex_lock(&_pool_lock)


cdef void _atfork_parent() noexcept nogil:
    pthread_mutex_unlock(&_pool_lock)


cdef void _atfork_child() noexcept nogil:
    # The child has only the forking thread: no worker runs and no job is in
    # flight.  The workers' states stay allocated and serve the new threads.
    global _started, _active, _inside, _busy, _job
    _started = 0
    _active = 0
    _inside = 0
    _busy = False
    _job = NULL
    pthread_mutex_unlock(&_pool_lock)
    pthread_cond_init(&_work_cv, NULL)
    pthread_cond_init(&_done_cv, NULL)


cdef int _pool_init() except -1:
    memset(_workers, 0, sizeof(_workers))
    if (pthread_mutex_init(&_pool_lock, NULL) != 0 or pthread_cond_init(&_work_cv, NULL) != 0
            or pthread_cond_init(&_done_cv, NULL) != 0):
        raise MemoryError("blosc: cannot initialise the thread pool")
    if pthread_atfork(_atfork_prepare, _atfork_parent, _atfork_child) != 0:
        raise MemoryError("blosc: cannot register the thread pool's fork handlers")
    return 0


def _shutdown_threads():
    """Join the pool's threads (registered with atexit; later calls run single-threaded)."""
    with nogil:
        _pool_shutdown(True)


def _shutdown_threads_for_tests():
    """Join the pool's threads; the next threaded call starts new ones."""
    with nogil:
        _pool_shutdown(False)


def _pool_threads():
    """Number of native worker threads currently running (for tests)."""
    return _started
