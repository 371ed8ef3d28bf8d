# Per-thread C state of a compiled module (_blosc's Scratch, _chain's buffers).
#
# The state lives in a PyCapsule stored on the module's threading.local, so it
# is created on the thread's first call and freed with the thread's locals
# (thread exit, interpreter shutdown) without any registry of threads.  Each
# module keeps only its specifics: the struct, the capsule name and a release
# function for what the struct points to.
from cpython.pycapsule cimport (
    PyCapsule_GetContext,
    PyCapsule_GetName,
    PyCapsule_GetPointer,
    PyCapsule_New,
    PyCapsule_SetContext,
    PyCapsule_SetDestructor,
)
from libc.stdlib cimport calloc, free

# Frees what a state points to (not the state itself); it is also called on
# a state still all zero.
ctypedef void (*scratch_release)(void* state) noexcept nogil


cdef inline void scratch_destroy(object capsule) noexcept:
    """The capsule destructor: the module's release, then the state."""
    cdef void* state = PyCapsule_GetPointer(capsule, PyCapsule_GetName(capsule))
    cdef scratch_release release = <scratch_release>PyCapsule_GetContext(capsule)
    release(state)
    free(state)


cdef inline void* thread_scratch_peek(object local, const char* name) except? NULL:
    """This thread's state, NULL before its first thread_scratch()."""
    cap = getattr(local, "scratch", None)
    if cap is None:
        return NULL
    return PyCapsule_GetPointer(cap, name)


cdef inline void* thread_scratch(object local, const char* name, size_t size,
                                 scratch_release release, str what) except NULL:
    """This thread's state: ``size`` zeroed bytes made on its first call.

    ``name`` must be a static C string (the capsule keeps the pointer) and
    identifies the state's type, so another module's capsule is refused.
    """
    cdef void* state = thread_scratch_peek(local, name)
    if state is not NULL:
        return state
    state = calloc(1, size)
    if state is NULL:
        raise MemoryError(f"{what}: cannot allocate per-thread scratch state")
    try:
        cap = PyCapsule_New(state, name, NULL)
    except BaseException:
        free(state)
        raise
    # from here on the capsule owns the state
    PyCapsule_SetContext(cap, <void*>release)
    PyCapsule_SetDestructor(cap, scratch_destroy)
    local.scratch = cap
    return state
