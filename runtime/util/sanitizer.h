/* SPDX-License-Identifier: MIT */
/* Whether this build runs under AddressSanitizer (gcc's and clang's spellings). */
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define AG3_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AG3_ASAN 1
#endif
#endif
#ifndef AG3_ASAN
#define AG3_ASAN 0
#endif
