// Big scratch buffers without the cost of zeroing them: a std::vector allocator that
// default-initialises elements (so resize() of floats writes nothing) and asks the kernel for
// transparent huge pages on large blocks (on a virtual machine a 4 KiB page fault per page
// of fresh memory costs more than filling it). For buffers that are written before read.
//
// Thread-safety: stateless.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>
#include <vector>

namespace mlloop::core {

template <typename T>
class UninitAllocator {
 public:
  using value_type = T;
  UninitAllocator() = default;
  template <typename U>
  UninitAllocator(const UninitAllocator<U>&) {}  // NOLINT: rebinding must be implicit

  T* allocate(size_t n) {
    constexpr size_t kHugePage = size_t{2} << 20;
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugePage) return static_cast<T*>(::operator new(bytes));
    const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (p == nullptr) throw std::bad_alloc();
    madvise(p, rounded, MADV_HUGEPAGE);  // advice only
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    if (n * sizeof(T) < (size_t{2} << 20)) {
      ::operator delete(p);
    } else {
      std::free(p);
    }
  }
  // Default-initialise: for trivial types, leave the memory as it is.
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  friend bool operator==(const UninitAllocator&, const UninitAllocator&) { return true; }
};

template <typename T>
using Buffer = std::vector<T, UninitAllocator<T>>;

}  // namespace mlloop::core
