/* banned.h - C library functions Weft does not use, because each has a
 * bounded replacement that cannot overflow (snprintf, memcpy with a known
 * length, weft__buf_*). Included last by util.h, so any use fails to
 * compile. (After git's banned.h.) */
#ifndef WEFT_UTIL_BANNED_H
#define WEFT_UTIL_BANNED_H

#define WEFT_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) WEFT_BANNED(strcpy)
#undef strcat
#define strcat(x, y) WEFT_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) WEFT_BANNED(strncpy)
#undef sprintf
#define sprintf(...) WEFT_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) WEFT_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) WEFT_BANNED(strtok)
#undef gets
#define gets(x) WEFT_BANNED(gets)

#endif
