/*
 * custody_chainwalk: the per-event work of Custody's audit verification (verify_audit), compiled.
 *
 * For every event of a range it reads the row from the database connection the caller already
 * holds (SQLite: the sqlite3 handle behind Python's sqlite3.Connection; PostgreSQL: the PGconn
 * behind psycopg's connection, documented as PGconn.pgconn_ptr), writes the event's canonical
 * JSON (format 1 of audit/chain.py), hashes previous hash + canonical bytes with SHA-256 and
 * checks sequence, link, hash and checkpoints, exactly as the Python walk in audit/verify.py does.
 *
 * Trust rule: bytes written here are only ever compared with the stored hash. Anything this encoder
 * is not sure to write exactly as the reference encoder (a NULL in a NOT NULL column, text in an
 * integer column, a float, a duplicate key, a lone surrogate, an unusual date...) is not guessed:
 * the row is handed back as a suspect and the caller re-hashes it the reference way. So this code
 * can only make the walk faster, never accept a row the reference would reject.
 *
 * No library is linked at build time: libsqlite3, libpq and libcrypto are the very libraries the
 * interpreter already loaded (through the sqlite3 module, psycopg and hashlib), found with dlsym,
 * so the handles passed in always belong to the library instance that made them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ENC_OK 0
#define ENC_ODD 1     /* cannot vouch for these bytes: the reference encoder decides */
#define ENC_NOMEM (-1)
#define MAX_DEPTH 64
#define MAX_DIGITS 4000 /* Python refuses to parse integers of more than 4300 digits */
#define YIELD_EVERY 16384 /* rows between letting other threads run and checking for signals */

/* ------------------------------------------------------------------ buffers */

typedef struct {
    unsigned char *data;
    size_t len, cap;
} buf_t;

static int buf_reserve(buf_t *b, size_t extra) {
    if (extra > SIZE_MAX / 2 - b->len) return ENC_NOMEM;
    if (b->len + extra <= b->cap) return ENC_OK;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra) cap *= 2;
    unsigned char *p = realloc(b->data, cap);
    if (p == NULL) return ENC_NOMEM;
    b->data = p;
    b->cap = cap;
    return ENC_OK;
}

static int buf_put(buf_t *b, const void *s, size_t n) {
    if (buf_reserve(b, n)) return ENC_NOMEM;
    if (n) memcpy(b->data + b->len, s, n);
    b->len += n;
    return ENC_OK;
}

#define PUT_LIT(b, lit) buf_put((b), (lit), sizeof(lit) - 1)

static void buf_free(buf_t *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int put_int(buf_t *b, int64_t v) {
    char tmp[24];
    int i = (int)sizeof(tmp);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) tmp[--i] = '-';
    return buf_put(b, tmp + i, sizeof(tmp) - (size_t)i);
}

/* ------------------------------------------------------------------ text */

/* Length of the well-formed UTF-8 sequence at s, or 0 where Python's strict decoder would fail
 * (overlong forms, surrogates, beyond U+10FFFF, truncation). */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;
        if (c == 0xED && s[1] >= 0xA0) return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;
        if (c == 0xF4 && s[1] >= 0x90) return 0;
        return 4;
    }
    return 0;
}

static const char HEX[] = "0123456789abcdef";

/* Bytes written as they are by encode_basestring: printable ASCII other than the quote and backslash. */
static unsigned char PLAIN[256];

static void init_plain(void) {
    for (int c = 0x20; c < 0x80; c++) PLAIN[c] = c != '"' && c != '\\';
}

/* json.encoder.encode_basestring (ensure_ascii=False): quotes, backslash and C0 controls escaped,
 * the short forms for \b \f \n \r \t, everything else (DEL, U+2028...) as it is. */
static int put_quoted(buf_t *b, const unsigned char *s, size_t n) {
    if (n > (SIZE_MAX - 2) / 6 || buf_reserve(b, n * 6 + 2)) return ENC_NOMEM;
    unsigned char *o = b->data + b->len;
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        /* the plain ASCII run, copied at once */
        size_t run = i;
        while (run < n && PLAIN[s[run]]) run++;
        memcpy(o, s + i, run - i);
        o += run - i;
        i = run;
        if (i >= n) break;
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t k = utf8_len(s + i, n - i);
            if (!k) return ENC_ODD;
            memcpy(o, s + i, k);
            o += k;
            i += k;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = (unsigned char)HEX[c >> 4];
            *o++ = (unsigned char)HEX[c & 15];
        }
        i++;
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    return ENC_OK;
}

/* ------------------------------------------------------------------ canonical JSON */

typedef struct {
    const unsigned char *p, *end;
    int depth;
    buf_t *scratch;   /* decoded string values, reused */
    int64_t elements; /* of the top-level array */
} json_t;

static void skip_ws(json_t *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static int hex4(const unsigned char *s, unsigned *v) {
    unsigned x = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = s[i];
        x <<= 4;
        if (c >= '0' && c <= '9') x |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') x |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') x |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *v = x;
    return 0;
}

static int put_utf8(buf_t *b, unsigned u) {
    unsigned char t[4];
    size_t n;
    if (u < 0x80) {
        t[0] = (unsigned char)u;
        n = 1;
    } else if (u < 0x800) {
        t[0] = (unsigned char)(0xC0 | (u >> 6));
        t[1] = (unsigned char)(0x80 | (u & 0x3F));
        n = 2;
    } else if (u < 0x10000) {
        t[0] = (unsigned char)(0xE0 | (u >> 12));
        t[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
        t[2] = (unsigned char)(0x80 | (u & 0x3F));
        n = 3;
    } else {
        t[0] = (unsigned char)(0xF0 | (u >> 18));
        t[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3F));
        t[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
        t[3] = (unsigned char)(0x80 | (u & 0x3F));
        n = 4;
    }
    return buf_put(b, t, n);
}

/* The string starting at j->p (a quote), decoded as json.loads would (strict: no raw control
 * characters, strict \uXXXX, surrogate pairs joined; a lone surrogate could not be written back
 * as UTF-8 by the reference, so it is odd). */
static int decode_string(json_t *j, buf_t *out) {
    const unsigned char *p = j->p + 1, *end = j->end;
    for (;;) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') p++;
        if (buf_put(out, run, (size_t)(p - run))) return ENC_NOMEM;
        if (p >= end) return ENC_ODD;
        unsigned char c = *p;
        if (c == '"') {
            j->p = p + 1;
            return ENC_OK;
        }
        if (c < 0x20) return ENC_ODD;
        if (c >= 0x80) {
            size_t k = utf8_len(p, (size_t)(end - p));
            if (!k) return ENC_ODD;
            if (buf_put(out, p, k)) return ENC_NOMEM;
            p += k;
            continue;
        }
        if (end - p < 2) return ENC_ODD;
        unsigned char e = p[1];
        unsigned char ch;
        p += 2;
        switch (e) {
        case '"': ch = '"'; break;
        case '\\': ch = '\\'; break;
        case '/': ch = '/'; break;
        case 'b': ch = '\b'; break;
        case 'f': ch = '\f'; break;
        case 'n': ch = '\n'; break;
        case 'r': ch = '\r'; break;
        case 't': ch = '\t'; break;
        case 'u': {
            unsigned u, lo;
            if (end - p < 4 || hex4(p, &u)) return ENC_ODD;
            p += 4;
            if (u >= 0xDC00 && u <= 0xDFFF) return ENC_ODD;
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return ENC_ODD;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            if (put_utf8(out, u)) return ENC_NOMEM;
            continue;
        }
        default:
            return ENC_ODD;
        }
        if (buf_put(out, &ch, 1)) return ENC_NOMEM;
    }
}

typedef struct {
    size_t key_off, key_len, val_off, val_len;
    const unsigned char *key;
} member_t;

static int member_cmp(const void *a, const void *b) {
    const member_t *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = n ? memcmp(x->key, y->key, n) : 0;
    if (c) return c;
    return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static int canon_value(json_t *j, buf_t *out);

static int canon_string(json_t *j, buf_t *out) {
    /* Most strings have no escape at all: their text is the stored text (put_quoted validates it). */
    const unsigned char *p = j->p + 1;
    while (p < j->end && *p != '"' && *p != '\\' && *p >= 0x20) p++;
    if (p < j->end && *p == '"') {
        const unsigned char *start = j->p + 1;
        j->p = p + 1;
        return put_quoted(out, start, (size_t)(p - start));
    }
    j->scratch->len = 0;
    int rc = decode_string(j, j->scratch);
    if (rc == ENC_OK) rc = put_quoted(out, j->scratch->data ? j->scratch->data : (const unsigned char *)"", j->scratch->len);
    return rc;
}

static int canon_number(json_t *j, buf_t *out) {
    const unsigned char *start = j->p, *p = j->p;
    if (p < j->end && *p == '-') p++;
    if (p >= j->end || *p < '0' || *p > '9') return ENC_ODD;
    if (*p == '0') {
        p++;
        if (start[0] == '-') return ENC_ODD; /* -0 loads as 0 */
    } else {
        while (p < j->end && *p >= '0' && *p <= '9') p++;
    }
    if (p < j->end && (*p == '.' || *p == 'e' || *p == 'E')) return ENC_ODD; /* a float */
    if (p - start > MAX_DIGITS) return ENC_ODD;
    j->p = p;
    return buf_put(out, start, (size_t)(p - start));
}

static int canon_array(json_t *j, buf_t *out) {
    j->p++;
    if (PUT_LIT(out, "[")) return ENC_NOMEM;
    skip_ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        return PUT_LIT(out, "]");
    }
    for (;;) {
        int rc = canon_value(j, out);
        if (rc) return rc;
        if (j->depth == 1) j->elements++;
        skip_ws(j);
        if (j->p >= j->end) return ENC_ODD;
        if (*j->p == ']') {
            j->p++;
            return PUT_LIT(out, "]");
        }
        if (*j->p != ',') return ENC_ODD;
        j->p++;
        if (PUT_LIT(out, ",")) return ENC_NOMEM;
    }
}

/* Members are written with their keys sorted by code point (UTF-8 byte order is code point order);
 * a repeated key is odd (json.loads keeps the last one silently). */
static int canon_object_members(json_t *j, buf_t *keys, buf_t *vals, member_t **members, size_t *count) {
    size_t cap = 0;
    for (;;) {
        skip_ws(j);
        if (j->p >= j->end || *j->p != '"') return ENC_ODD;
        if (*count == cap) {
            cap = cap ? cap * 2 : 8;
            member_t *grown = realloc(*members, cap * sizeof(member_t));
            if (grown == NULL) return ENC_NOMEM;
            *members = grown;
        }
        member_t *m = &(*members)[*count];
        m->key_off = keys->len;
        int rc = decode_string(j, keys);
        if (rc) return rc;
        m->key_len = keys->len - m->key_off;
        skip_ws(j);
        if (j->p >= j->end || *j->p != ':') return ENC_ODD;
        j->p++;
        m->val_off = vals->len;
        rc = canon_value(j, vals);
        if (rc) return rc;
        m->val_len = vals->len - m->val_off;
        (*count)++;
        skip_ws(j);
        if (j->p >= j->end) return ENC_ODD;
        if (*j->p == '}') {
            j->p++;
            return ENC_OK;
        }
        if (*j->p != ',') return ENC_ODD;
        j->p++;
    }
}

static int canon_object(json_t *j, buf_t *out) {
    j->p++;
    skip_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return PUT_LIT(out, "{}");
    }
    buf_t keys = {0}, vals = {0};
    member_t *members = NULL;
    size_t count = 0;
    int rc = canon_object_members(j, &keys, &vals, &members, &count);
    if (rc == ENC_OK) {
        for (size_t i = 0; i < count; i++) members[i].key = keys.data + members[i].key_off;
        qsort(members, count, sizeof(member_t), member_cmp);
        for (size_t i = 1; i < count && rc == ENC_OK; i++)
            if (member_cmp(&members[i - 1], &members[i]) == 0) rc = ENC_ODD;
    }
    if (rc == ENC_OK) rc = PUT_LIT(out, "{");
    for (size_t i = 0; i < count && rc == ENC_OK; i++) {
        if (i) rc = PUT_LIT(out, ",");
        if (rc == ENC_OK) rc = put_quoted(out, members[i].key, members[i].key_len);
        if (rc == ENC_OK) rc = PUT_LIT(out, ":");
        if (rc == ENC_OK) rc = buf_put(out, vals.data + members[i].val_off, members[i].val_len);
    }
    if (rc == ENC_OK) rc = PUT_LIT(out, "}");
    buf_free(&keys);
    buf_free(&vals);
    free(members);
    return rc;
}

static int literal(json_t *j, const char *word, size_t n, buf_t *out) {
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0) return ENC_ODD;
    j->p += n;
    return buf_put(out, word, n);
}

static int canon_value(json_t *j, buf_t *out) {
    skip_ws(j);
    if (j->p >= j->end) return ENC_ODD;
    int rc;
    switch (*j->p) {
    case '"': return canon_string(j, out);
    case 't': return literal(j, "true", 4, out);
    case 'f': return literal(j, "false", 5, out);
    case 'n': return literal(j, "null", 4, out);
    case '[':
    case '{':
        if (++j->depth > MAX_DEPTH) return ENC_ODD;
        rc = *j->p == '[' ? canon_array(j, out) : canon_object(j, out);
        j->depth--;
        return rc;
    default:
        return canon_number(j, out);
    }
}

/* A whole stored JSON document whose top level must be an object ('{') or an array ('['). */
static int canon_document(const unsigned char *s, size_t n, unsigned char top, buf_t *out, buf_t *scratch,
                          int64_t *elements) {
    json_t j = {s, s + n, 0, scratch, 0};
    skip_ws(&j);
    if (j.p >= j.end || *j.p != top) return ENC_ODD;
    int rc = canon_value(&j, out);
    if (rc) return rc;
    skip_ws(&j);
    if (j.p != j.end) return ENC_ODD;
    if (elements) *elements = j.elements;
    return ENC_OK;
}

/* ------------------------------------------------------------------ rows */

typedef struct {
    const unsigned char *s;
    size_t n;
    int null;
} text_t;

typedef struct {
    int64_t v;
    int null;
    int odd; /* not an integer (SQLite keeps any value in any column) */
} id_t_;

enum { F_ACTION, F_OUTCOME, F_USERNAME, F_ROLE, F_IP, F_UA, F_PURPOSE, F_CONSENT, F_TARGETS, F_DETAILS, F_TEXTS };
enum { I_USER, I_TEAM, I_ORG, I_CASE, I_IDS };

typedef struct {
    int64_t seq;
    text_t prev, hash;
    /* the time: SQLite text "YYYY-MM-DD HH:MM:SS[.ffffff]" or PostgreSQL microseconds since 2000 */
    text_t at_text;
    int64_t at_us;
    int at_is_us, at_null;
    text_t text[F_TEXTS];
    id_t_ id[I_IDS];
} row_t;

static int put_id(buf_t *b, const id_t_ *id) {
    if (id->odd) return ENC_ODD;
    if (id->null) return PUT_LIT(b, "null");
    return put_int(b, id->v);
}

static int put_text(buf_t *b, const text_t *t) {
    if (t->null) return ENC_ODD;
    return put_quoted(b, t->s, t->n);
}

static int digits(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static void put_digits(char *t, int64_t v, int width) {
    for (int i = width - 1; i >= 0; i--) {
        t[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* format_time(): "%Y-%m-%dT%H:%M:%S.%fZ". strftime writes years before 1000 without padding, so
 * those (and anything unusual) are left to the reference. */
static int put_time(buf_t *b, const row_t *r) {
    char t[27];
    if (r->at_null) return ENC_ODD;
    if (r->at_is_us) {
        int64_t us = r->at_us;
        /* 0001-01-01 .. 9999-12-31 in microseconds since 2000-01-01 keeps away from overflow */
        if (us < INT64_C(-63082281600000000) || us > INT64_C(252455615999999999)) return ENC_ODD;
        int64_t days = us / INT64_C(86400000000), rem = us % INT64_C(86400000000);
        if (rem < 0) {
            rem += INT64_C(86400000000);
            days--;
        }
        /* days since 1970-01-01 to a civil date (H. Hinnant's algorithm) */
        int64_t z = days + 10957 + 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t y = yoe + era * 400;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153;
        int64_t d = doy - (153 * mp + 2) / 5 + 1;
        int64_t m = mp < 10 ? mp + 3 : mp - 9;
        if (m <= 2) y++;
        if (y < 1000 || y > 9999) return ENC_ODD;
        int64_t secs = rem / 1000000, micro = rem % 1000000;
        put_digits(t, y, 4);
        t[4] = '-';
        put_digits(t + 5, m, 2);
        t[7] = '-';
        put_digits(t + 8, d, 2);
        t[10] = 'T';
        put_digits(t + 11, secs / 3600, 2);
        t[13] = ':';
        put_digits(t + 14, secs / 60 % 60, 2);
        t[16] = ':';
        put_digits(t + 17, secs % 60, 2);
        t[19] = '.';
        put_digits(t + 20, micro, 6);
        t[26] = 'Z';
        return buf_put(b, t, 27);
    }
    const unsigned char *s = r->at_text.s;
    size_t n = r->at_text.n;
    if (r->at_text.null || (n != 19 && n != 26)) return ENC_ODD;
    if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2) || s[10] != ' ' ||
        !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
        return ENC_ODD;
    if (n == 26 && (s[19] != '.' || !digits(s + 20, 6))) return ENC_ODD;
    if (s[0] == '0') return ENC_ODD;
    /* Django's parser accepts only real dates and times: anything else is left to it. */
    int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int month = (s[5] - '0') * 10 + (s[6] - '0'), day = (s[8] - '0') * 10 + (s[9] - '0');
    int hour = (s[11] - '0') * 10 + (s[12] - '0'), minute = (s[14] - '0') * 10 + (s[15] - '0');
    int second = (s[17] - '0') * 10 + (s[18] - '0');
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 || day < 1) return ENC_ODD;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > mdays[month - 1] + (month == 2 && leap)) return ENC_ODD;
    memcpy(t, s, 10);
    t[10] = 'T';
    memcpy(t + 11, s + 11, 8);
    t[19] = '.';
    if (n == 26) memcpy(t + 20, s + 20, 6);
    else memcpy(t + 20, "000000", 6);
    t[26] = 'Z';
    return buf_put(b, t, 27);
}

/* chain.canonical_bytes(chain.event_fields(...)) for one row, appended to b. */
/* *targets is set to the number of targets when the bytes are written (ENC_OK). */
static int encode_row(buf_t *b, const row_t *r, buf_t *scratch, int64_t *targets) {
    int rc = PUT_LIT(b, "{\"action\":");
#define STEP(expr) \
    if (rc == ENC_OK) rc = (expr)
    STEP(put_text(b, &r->text[F_ACTION]));
    STEP(PUT_LIT(b, ",\"actor\":{\"organisation\":"));
    STEP(put_id(b, &r->id[I_ORG]));
    STEP(PUT_LIT(b, ",\"role\":"));
    STEP(put_text(b, &r->text[F_ROLE]));
    STEP(PUT_LIT(b, ",\"team\":"));
    STEP(put_id(b, &r->id[I_TEAM]));
    STEP(PUT_LIT(b, ",\"user\":"));
    STEP(put_id(b, &r->id[I_USER]));
    STEP(PUT_LIT(b, ",\"username\":"));
    STEP(put_text(b, &r->text[F_USERNAME]));
    STEP(PUT_LIT(b, "},\"at\":\""));
    STEP(put_time(b, r));
    STEP(PUT_LIT(b, "\",\"case\":"));
    STEP(put_id(b, &r->id[I_CASE]));
    STEP(PUT_LIT(b, ",\"consent\":"));
    STEP(put_text(b, &r->text[F_CONSENT]));
    STEP(PUT_LIT(b, ",\"details\":"));
    STEP(r->text[F_DETAILS].null ? ENC_ODD : canon_document(r->text[F_DETAILS].s, r->text[F_DETAILS].n, '{', b, scratch, NULL));
    STEP(PUT_LIT(b, ",\"ip\":"));
    STEP(put_text(b, &r->text[F_IP]));
    STEP(PUT_LIT(b, ",\"outcome\":"));
    STEP(put_text(b, &r->text[F_OUTCOME]));
    STEP(PUT_LIT(b, ",\"purpose\":"));
    STEP(put_text(b, &r->text[F_PURPOSE]));
    STEP(PUT_LIT(b, ",\"seq\":"));
    STEP(put_int(b, r->seq));
    STEP(PUT_LIT(b, ",\"targets\":"));
    STEP(r->text[F_TARGETS].null ? ENC_ODD : canon_document(r->text[F_TARGETS].s, r->text[F_TARGETS].n, '[', b, scratch, targets));
    STEP(PUT_LIT(b, ",\"ua\":"));
    STEP(put_text(b, &r->text[F_UA]));
    STEP(PUT_LIT(b, ",\"v\":1}"));
#undef STEP
    return rc;
}

/* ------------------------------------------------------------------ libcrypto (hashlib's) */

typedef struct evp_md_st EVP_MD;
typedef struct evp_md_ctx_st EVP_MD_CTX;
static struct {
    int ready;
    EVP_MD_CTX *(*ctx_new)(void);
    void (*ctx_free)(EVP_MD_CTX *);
    int (*init)(EVP_MD_CTX *, const EVP_MD *, void *);
    int (*update)(EVP_MD_CTX *, const void *, size_t);
    int (*final)(EVP_MD_CTX *, unsigned char *, unsigned int *);
    int (*copy)(EVP_MD_CTX *, const EVP_MD_CTX *);
    const EVP_MD *sha256;
} ssl;

/* ------------------------------------------------------------------ the walk */

enum { FIND_NONE, FIND_DELETED, FIND_INSERTED, FIND_CHECKPOINT };

typedef struct {
    int64_t seq;
    const char *hash;
    Py_ssize_t len;
} cp_t;

typedef struct {
    /* inputs */
    int64_t expected_seq;
    buf_t prev; /* the previous event's stored hash (any length: an edited one is only a suspect) */
    cp_t *cps;
    Py_ssize_t ncps, next_cp;
    int collect;
    /* results */
    int64_t events, head_seq, checkpoints, targets, first_seq;
    unsigned char prev_raw[32]; /* w->prev as bytes, when prev_raw_ok */
    int prev_raw_ok;
    buf_t first_prev;
    int finding;
    int64_t finding_seq, finding_last;
    buf_t finding_prev;
    buf_t suspects; /* int64 seq + uint32 length + hash bytes, repeated */
    buf_t uncounted; /* int64 seq of each event whose targets this walk did not count */
    buf_t collected; /* int64 seq + int64 length (-1: none) + bytes, repeated (tests) */
    /* scratch */
    buf_t data, scratch;
    EVP_MD_CTX *ctx, *base;
    const char *unsupported; /* a structural surprise: the caller walks this range in Python */
    const char *broken;      /* the stream itself failed (raised as RuntimeError) */
    int nomem, interrupted;
    char *cp_hashes;         /* the checkpoints' hashes, copied */
    size_t rows_since_yield;
} walk_t;

static signed char NIBBLE[256];

static void init_nibbles(void) {
    memset(NIBBLE, -1, sizeof(NIBBLE));
    for (int i = 0; i < 16; i++) NIBBLE[(unsigned char)HEX[i]] = (signed char)i;
}

/* 64 lowercase hex digits (what hexdigest() writes) to 32 bytes; anything else is odd. */
static int unhex(const unsigned char *s, size_t n, unsigned char *out) {
    if (n != 64) return -1;
    int bad = 0;
    for (size_t i = 0; i < 32; i++) {
        signed char h = NIBBLE[s[2 * i]], l = NIBBLE[s[2 * i + 1]];
        bad |= (h | l) < 0;
        out[i] = (unsigned char)(((unsigned)h & 15u) << 4 | ((unsigned)l & 15u));
    }
    return bad ? -1 : 0;
}

/* Python objects are made only with the GIL: failures inside the walk are flagged and raised after. */
static int nomem(walk_t *w) {
    w->nomem = 1;
    return -1;
}

static int add_suspect(walk_t *w, const row_t *r) {
    uint32_t n = (uint32_t)r->hash.n;
    if (r->hash.n > UINT32_MAX) return ENC_NOMEM;
    if (buf_put(&w->suspects, &r->seq, sizeof(int64_t)) || buf_put(&w->suspects, &n, sizeof(n)) ||
        buf_put(&w->suspects, r->hash.s, r->hash.n))
        return ENC_NOMEM;
    return ENC_OK;
}

static int add_collected(walk_t *w, int64_t seq, const unsigned char *data, int64_t n) {
    if (buf_put(&w->collected, &seq, sizeof(seq)) || buf_put(&w->collected, &n, sizeof(n))) return ENC_NOMEM;
    return n > 0 ? buf_put(&w->collected, data, (size_t)n) : ENC_OK;
}

/* One row, as _walk_stream in audit/verify.py: 0 go on, 1 stop (finding), -1 error set. */
static int step(walk_t *w, const row_t *r) {
    if (r->prev.null || r->hash.null) {
        w->unsupported = "a hash column holds no text";
        return -1;
    }
    if (!w->first_seq) {
        w->first_seq = r->seq;
        if (buf_put(&w->first_prev, r->prev.s, r->prev.n)) return nomem(w);
        if (!w->expected_seq) {
            w->expected_seq = r->seq;
            if (buf_put(&w->prev, r->prev.s, r->prev.n)) return nomem(w);
        }
    }
    if (r->seq != w->expected_seq) {
        w->finding = FIND_DELETED;
        w->finding_seq = w->expected_seq;
        w->finding_last = r->seq - 1;
        return 1;
    }
    if (r->prev.n != w->prev.len || (r->prev.n && memcmp(r->prev.s, w->prev.data, r->prev.n) != 0)) {
        w->finding = FIND_INSERTED;
        w->finding_seq = r->seq;
        if (buf_put(&w->finding_prev, w->prev.data, w->prev.len)) return nomem(w);
        return 1;
    }
    w->data.len = 0;
    int rc = buf_reserve(&w->data, 32);
    int sound = 0, encoded = 0;
    int64_t targets = 0;
    /* The link check above made r->prev equal to w->prev, whose bytes may be known already. */
    if (rc == ENC_OK && w->prev_raw_ok) memcpy(w->data.data, w->prev_raw, 32);
    if (rc == ENC_OK && (w->prev_raw_ok || unhex(r->prev.s, r->prev.n, w->data.data) == 0)) {
        w->data.len = 32;
        rc = encode_row(&w->data, r, &w->scratch, &targets);
        unsigned char *stored = w->prev_raw;
        w->prev_raw_ok = 0;
        if (rc == ENC_OK && unhex(r->hash.s, r->hash.n, stored) == 0) {
            w->prev_raw_ok = 1;
            unsigned char digest[32];
            unsigned int len = 0;
            if (!ssl.copy(w->ctx, w->base) || !ssl.update(w->ctx, w->data.data, w->data.len) ||
                !ssl.final(w->ctx, digest, &len) || len != 32) {
                w->unsupported = "SHA-256 failed in libcrypto";
                return -1;
            }
            sound = memcmp(digest, stored, 32) == 0;
        }
        encoded = rc == ENC_OK;
    } else if (rc == ENC_OK) {
        rc = ENC_ODD;
    }
    if (w->collect && rc != ENC_NOMEM &&
        add_collected(w, r->seq, w->data.data + 32, encoded ? (int64_t)w->data.len - 32 : -1))
        rc = ENC_NOMEM;
    if (rc == ENC_NOMEM) return nomem(w);
    if (!sound && add_suspect(w, r)) return nomem(w);
    while (w->next_cp < w->ncps && w->cps[w->next_cp].seq < r->seq) w->next_cp++;
    if (w->next_cp < w->ncps && w->cps[w->next_cp].seq == r->seq) {
        const cp_t *cp = &w->cps[w->next_cp];
        if ((size_t)cp->len != r->hash.n || memcmp(cp->hash, r->hash.s, r->hash.n) != 0) {
            w->finding = FIND_CHECKPOINT;
            w->finding_seq = r->seq;
            return 1;
        }
        w->checkpoints++;
    }
    /* Rows not encoded here are counted by the caller from the reference's reading. */
    if (encoded) w->targets += targets;
    else if (buf_put(&w->uncounted, &r->seq, sizeof(int64_t)))
        return nomem(w);
    w->events++;
    w->head_seq = r->seq;
    w->expected_seq = r->seq + 1;
    w->prev.len = 0;
    if (buf_put(&w->prev, r->hash.s, r->hash.n)) return nomem(w);
    return 0;
}

/* ------------------------------------------------------------------ SQLite source */

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
typedef struct sqlite3_value sqlite3_value;
static struct {
    int ready;
    int (*prepare)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
    int (*bind_int64)(sqlite3_stmt *, int, int64_t);
    int (*step)(sqlite3_stmt *);
    sqlite3_value *(*column_value)(sqlite3_stmt *, int);
    int (*value_type)(sqlite3_value *);
    int64_t (*value_int64)(sqlite3_value *);
    const unsigned char *(*value_text)(sqlite3_value *);
    int (*value_bytes)(sqlite3_value *);
    int (*finalize)(sqlite3_stmt *);
    const char *(*errmsg)(sqlite3 *);
    int (*total_changes)(sqlite3 *);
    int (*libversion_number)(void);
} lite;

#define SQLITE_ROW 100
#define SQLITE_DONE 101
#define SQLITE_INTEGER 1
#define SQLITE_TEXT 3
#define SQLITE_NULL 5

/* The columns, in order, of the statements both sources run (see audit/walker.py). */
enum {
    C_SEQ, C_PREV, C_HASH, C_AT, C_ACTION, C_OUTCOME, C_USER, C_USERNAME, C_TEAM, C_ORG, C_ROLE, C_IP,
    C_UA, C_PURPOSE, C_CONSENT, C_CASE, C_TARGETS, C_DETAILS, C_COLUMNS
};
static const int TEXT_COLUMN[F_TEXTS] = {C_ACTION, C_OUTCOME, C_USERNAME, C_ROLE, C_IP,
                                        C_UA,     C_PURPOSE, C_CONSENT,  C_TARGETS, C_DETAILS};
static const int ID_COLUMN[I_IDS] = {C_USER, C_TEAM, C_ORG, C_CASE};

/* sqlite3_column_value takes the connection's mutex once; reading the value after it does not. The
 * values are only read here, by the thread that holds the connection (and the GIL), before the
 * next step. */
static text_t lite_text(sqlite3_value *v) {
    text_t t = {NULL, 0, 1};
    if (lite.value_type(v) != SQLITE_TEXT) return t; /* NULL, or a number or blob where text belongs */
    t.s = lite.value_text(v);
    t.n = (size_t)lite.value_bytes(v);
    t.null = t.s == NULL;
    return t;
}

static int lite_row(walk_t *w, sqlite3_stmt *st, row_t *r) {
    sqlite3_value *v[C_COLUMNS];
    for (int i = 0; i < C_COLUMNS; i++) v[i] = lite.column_value(st, i);
    if (lite.value_type(v[C_SEQ]) != SQLITE_INTEGER) {
        w->unsupported = "a sequence number is not an integer";
        return -1;
    }
    r->seq = lite.value_int64(v[C_SEQ]);
    r->prev = lite_text(v[C_PREV]);
    r->hash = lite_text(v[C_HASH]);
    r->at_is_us = 0;
    r->at_text = lite_text(v[C_AT]);
    r->at_null = r->at_text.null;
    for (int i = 0; i < F_TEXTS; i++) r->text[i] = lite_text(v[TEXT_COLUMN[i]]);
    for (int i = 0; i < I_IDS; i++) {
        int type = lite.value_type(v[ID_COLUMN[i]]);
        r->id[i].null = type == SQLITE_NULL;
        r->id[i].odd = type != SQLITE_NULL && type != SQLITE_INTEGER;
        r->id[i].v = type == SQLITE_INTEGER ? lite.value_int64(v[ID_COLUMN[i]]) : 0;
    }
    return 0;
}

/* Every YIELD_EVERY rows other threads get the interpreter for a moment and signals are checked
 * (a walk of millions of events takes seconds). Returns -1 when a signal handler raised. */
static int breathe(walk_t *w) {
    if (++w->rows_since_yield < YIELD_EVERY) return 0;
    w->rows_since_yield = 0;
    Py_BEGIN_ALLOW_THREADS
    Py_END_ALLOW_THREADS
    if (PyErr_CheckSignals() != 0) {
        w->interrupted = 1;
        return -1;
    }
    return 0;
}

static int walk_sqlite_rows(walk_t *w, sqlite3 *db, const char *sql, int64_t after, int64_t upto) {
    sqlite3_stmt *st = NULL;
    if (lite.prepare(db, sql, -1, &st, NULL) != 0 || st == NULL) {
        PyErr_Format(PyExc_RuntimeError, "SQLite could not prepare the walk: %s", lite.errmsg(db));
        return -1;
    }
    int result = 0;
    if (lite.bind_int64(st, 1, after) != 0 || lite.bind_int64(st, 2, upto) != 0) {
        PyErr_Format(PyExc_RuntimeError, "SQLite could not bind the walk's range: %s", lite.errmsg(db));
        result = -1;
    }
    while (result == 0) {
        int rc = lite.step(st);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) {
            PyErr_Format(PyExc_RuntimeError, "SQLite failed during the walk: %s", lite.errmsg(db));
            result = -1;
            break;
        }
        row_t r;
        if (lite_row(w, st, &r) != 0) {
            result = -1;
            break;
        }
        int s = step(w, &r);
        if (s < 0) result = -1;
        if (s != 0) break;
        if (breathe(w) != 0) result = -1;
    }
    lite.finalize(st);
    return result;
}

/* ------------------------------------------------------------------ PostgreSQL source */

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;
static struct {
    int ready;
    int (*send_query)(PGconn *, const char *);
    PGresult *(*get_result)(PGconn *);
    int (*result_status)(const PGresult *);
    char *(*result_error)(const PGresult *);
    void (*clear)(PGresult *);
    int (*get_copy_data)(PGconn *, char **, int);
    void (*freemem)(void *);
    char *(*error_message)(const PGconn *);
    int (*is_nonblocking)(const PGconn *);
    int (*set_nonblocking)(PGconn *, int);
    const char *(*parameter_status)(const PGconn *, const char *);
} pq;

#define PGRES_COMMAND_OK 1
#define PGRES_COPY_OUT 3

static const unsigned char PGCOPY_SIGNATURE[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xFF, '\r', '\n', 0};

static int64_t be64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return (int64_t)v;
}

static int32_t be32(const unsigned char *p) {
    return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

/* One tuple of binary COPY at p (length n): 1 parsed, 0 incomplete, -1 malformed, 2 end marker. */
static int pg_tuple(walk_t *w, const unsigned char *p, size_t n, size_t *used, row_t *r) {
    if (n < 2) return 0;
    int16_t fields = (int16_t)(p[0] << 8 | p[1]);
    if (fields == -1) {
        *used = 2;
        return 2;
    }
    if (fields != C_COLUMNS) {
        w->unsupported = "the COPY stream has an unexpected number of columns";
        return -1;
    }
    size_t at = 2;
    const unsigned char *value[C_COLUMNS];
    int32_t len[C_COLUMNS];
    for (int i = 0; i < C_COLUMNS; i++) {
        if (n - at < 4) return 0;
        len[i] = be32(p + at);
        at += 4;
        if (len[i] < -1) return -1;
        value[i] = p + at;
        if (len[i] > 0) {
            if (n - at < (size_t)len[i]) return 0;
            at += (size_t)len[i];
        }
    }
    *used = at;
    if (len[C_SEQ] != 8) {
        w->unsupported = "a sequence number is missing";
        return -1;
    }
    r->seq = be64(value[C_SEQ]);
#define PG_TEXT(col) \
    ((text_t){len[col] >= 0 ? value[col] : NULL, len[col] >= 0 ? (size_t)len[col] : 0, len[col] < 0})
    r->prev = PG_TEXT(C_PREV);
    r->hash = PG_TEXT(C_HASH);
    r->at_is_us = 1;
    r->at_null = len[C_AT] != 8;
    r->at_us = r->at_null ? 0 : be64(value[C_AT]);
    for (int i = 0; i < F_TEXTS; i++) r->text[i] = PG_TEXT(TEXT_COLUMN[i]);
#undef PG_TEXT
    for (int i = 0; i < I_IDS; i++) {
        int32_t l = len[ID_COLUMN[i]];
        r->id[i].null = l == -1;
        r->id[i].odd = l != -1 && l != 8;
        r->id[i].v = l == 8 ? be64(value[ID_COLUMN[i]]) : 0;
    }
    return 1;
}

/* Parse what has arrived; rows are consumed from the front of pending. 0 go on, 1 trailer seen,
 * -1 error. After a stop (finding, error or signal) rows are only skipped. */
static int pg_consume(walk_t *w, buf_t *pending, int *header_seen, int *stopped) {
    size_t at = 0;
    int result = 0;
    if (!*header_seen) {
        if (pending->len < 19) return 0;
        if (memcmp(pending->data, PGCOPY_SIGNATURE, 11) != 0) {
            w->unsupported = "the COPY stream is not in binary format";
            return -1;
        }
        int32_t extension = be32(pending->data + 15);
        if (extension < 0) {
            w->broken = "the COPY stream's header is malformed";
            return -1;
        }
        if (pending->len < 19 + (size_t)extension) return 0;
        at = 19 + (size_t)extension;
        *header_seen = 1;
    }
    while (result == 0) {
        row_t r;
        size_t used = 0;
        int t = pg_tuple(w, pending->data + at, pending->len - at, &used, &r);
        if (t == 0) break;
        if (t < 0) {
            if (!w->unsupported) w->broken = "the COPY stream is malformed";
            result = -1;
            break;
        }
        at += used;
        if (t == 2) {
            result = 1;
            break;
        }
        if (*stopped) continue;
        int s = step(w, &r);
        if (s == 0 && breathe(w) != 0) s = -1;
        if (s < 0) {
            *stopped = 1;
            result = -1;
            break;
        }
        if (s > 0) *stopped = 1;
    }
    memmove(pending->data, pending->data + at, pending->len - at);
    pending->len -= at;
    return result;
}

static int utf8_session(PGconn *conn) {
    const char *encoding = pq.parameter_status(conn, "client_encoding");
    return encoding != NULL && strcmp(encoding, "UTF8") == 0;
}

/* After a stop the stream is read to its end rather than cancelled: a cancel would abort the
 * caller's transaction. Returns 0, or -1 with an error set or flagged. */
static int walk_pg_rows(walk_t *w, PGconn *conn, const char *sql) {
    /* Text arrives in the session's client encoding, which SQL can change: only UTF-8 is read here. */
    if (!utf8_session(conn)) {
        w->unsupported = "the session's client encoding is not UTF8";
        return -1;
    }
    int was_nonblocking = pq.is_nonblocking(conn);
    if (was_nonblocking && pq.set_nonblocking(conn, 0) != 0) {
        PyErr_Format(PyExc_RuntimeError, "libpq: %s", pq.error_message(conn));
        return -1;
    }
    int result = 0, started = 0;
    if (!pq.send_query(conn, sql)) {
        PyErr_Format(PyExc_RuntimeError, "libpq could not send the walk: %s", pq.error_message(conn));
        result = -1;
    }
    PGresult *res = result == 0 ? pq.get_result(conn) : NULL;
    if (result == 0) {
        if (res == NULL || pq.result_status(res) != PGRES_COPY_OUT) {
            PyErr_Format(PyExc_RuntimeError, "PostgreSQL refused the walk: %s",
                         res ? pq.result_error(res) : pq.error_message(conn));
            result = -1;
        } else {
            started = 1;
        }
    }
    if (res) pq.clear(res);
    if (started) {
        buf_t pending = {0};
        int header_seen = 0, stopped = 0, parse = 0, trailer = 0;
        for (;;) {
            char *chunk = NULL;
            int got = pq.get_copy_data(conn, &chunk, 0);
            if (got < 0) {
                if (got == -2 && result == 0) {
                    PyErr_Format(PyExc_RuntimeError, "the walk's COPY failed: %s", pq.error_message(conn));
                    result = -1;
                }
                break;
            }
            if (parse == 0) {
                if (buf_put(&pending, chunk, (size_t)got)) {
                    w->nomem = 1;
                    parse = -1;
                } else {
                    parse = pg_consume(w, &pending, &header_seen, &stopped);
                }
                if (parse == 1) trailer = 1;
                if (parse != 0 && parse != 1 && result == 0) result = -1;
            } else if (parse == 1) {
                trailer = 0; /* data after the end marker */
                parse = 2;
            }
            pq.freemem(chunk);
        }
        /* A stream cut short, or with data after its end marker, proves nothing. */
        if (result == 0 && !stopped && (!trailer || pending.len != 0)) {
            w->broken = "the COPY stream ended early or carried data after its end";
            result = -1;
        }
        buf_free(&pending);
        /* The final status, then the end of the results. */
        while ((res = pq.get_result(conn)) != NULL) {
            if (pq.result_status(res) != PGRES_COMMAND_OK && result == 0) {
                PyErr_Format(PyExc_RuntimeError, "the walk's COPY failed: %s", pq.result_error(res));
                result = -1;
            }
            pq.clear(res);
        }
        if (result == 0 && !utf8_session(conn)) {
            w->unsupported = "the session's client encoding changed during the walk";
            result = -1;
        }
    }
    if (was_nonblocking) pq.set_nonblocking(conn, 1);
    return result;
}

/* ------------------------------------------------------------------ Python interface */

static PyObject *Unsupported;

static void *resolve(void *handle, const char *name, int *missing) {
    void *symbol = dlsym(handle, name);
    if (symbol == NULL) *missing = 1;
    return symbol;
}

static void *open_loaded(const char *path) {
    /* RTLD_NOLOAD: only a library the interpreter has already loaded will do. */
    return dlopen(path, RTLD_NOW | RTLD_NOLOAD);
}

static PyObject *load(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"hashlib", "sqlite", "libpq", NULL};
    const char *hashlib_path, *sqlite_path = NULL, *libpq_path = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|zz", names, &hashlib_path, &sqlite_path, &libpq_path))
        return NULL;
    int missing = 0;
    if (!ssl.ready) {
        void *h = open_loaded(hashlib_path);
        if (h == NULL) return PyErr_Format(Unsupported, "hashlib's library is not loaded: %s", dlerror());
        ssl.ctx_new = (EVP_MD_CTX * (*)(void)) resolve(h, "EVP_MD_CTX_new", &missing);
        ssl.ctx_free = (void (*)(EVP_MD_CTX *))resolve(h, "EVP_MD_CTX_free", &missing);
        ssl.init = (int (*)(EVP_MD_CTX *, const EVP_MD *, void *))resolve(h, "EVP_DigestInit_ex", &missing);
        ssl.update = (int (*)(EVP_MD_CTX *, const void *, size_t))resolve(h, "EVP_DigestUpdate", &missing);
        ssl.final = (int (*)(EVP_MD_CTX *, unsigned char *, unsigned int *))resolve(h, "EVP_DigestFinal_ex", &missing);
        ssl.copy = (int (*)(EVP_MD_CTX *, const EVP_MD_CTX *))resolve(h, "EVP_MD_CTX_copy_ex", &missing);
        const EVP_MD *(*sha256)(void) = (const EVP_MD *(*)(void))resolve(h, "EVP_sha256", &missing);
        if (missing) return PyErr_Format(Unsupported, "libcrypto lacks the EVP digest functions");
        /* OpenSSL 3 looks a legacy digest up again at every initialisation; a fetched one it does not. */
        EVP_MD *(*fetch)(void *, const char *, const char *) =
            (EVP_MD * (*)(void *, const char *, const char *)) dlsym(h, "EVP_MD_fetch");
        ssl.sha256 = fetch ? fetch(NULL, "SHA256", NULL) : NULL;
        if (ssl.sha256 == NULL) ssl.sha256 = sha256();
        if (ssl.sha256 == NULL) return PyErr_Format(Unsupported, "libcrypto has no SHA-256");
        ssl.ready = 1;
    }
    if (sqlite_path != NULL && !lite.ready) {
        void *h = open_loaded(sqlite_path);
        if (h == NULL) return PyErr_Format(Unsupported, "the sqlite3 module is not loaded: %s", dlerror());
        missing = 0;
        lite.prepare = (int (*)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **))resolve(
            h, "sqlite3_prepare_v2", &missing);
        lite.bind_int64 = (int (*)(sqlite3_stmt *, int, int64_t))resolve(h, "sqlite3_bind_int64", &missing);
        lite.step = (int (*)(sqlite3_stmt *))resolve(h, "sqlite3_step", &missing);
        lite.column_value = (sqlite3_value * (*)(sqlite3_stmt *, int)) resolve(h, "sqlite3_column_value", &missing);
        lite.value_type = (int (*)(sqlite3_value *))resolve(h, "sqlite3_value_type", &missing);
        lite.value_int64 = (int64_t(*)(sqlite3_value *))resolve(h, "sqlite3_value_int64", &missing);
        lite.value_text = (const unsigned char *(*)(sqlite3_value *))resolve(h, "sqlite3_value_text", &missing);
        lite.value_bytes = (int (*)(sqlite3_value *))resolve(h, "sqlite3_value_bytes", &missing);
        lite.finalize = (int (*)(sqlite3_stmt *))resolve(h, "sqlite3_finalize", &missing);
        lite.errmsg = (const char *(*)(sqlite3 *))resolve(h, "sqlite3_errmsg", &missing);
        lite.total_changes = (int (*)(sqlite3 *))resolve(h, "sqlite3_total_changes", &missing);
        lite.libversion_number = (int (*)(void))resolve(h, "sqlite3_libversion_number", &missing);
        if (missing) return PyErr_Format(Unsupported, "the sqlite3 module's library does not export its API");
        lite.ready = 1;
    }
    if (libpq_path != NULL && !pq.ready) {
        void *h = open_loaded(libpq_path);
        if (h == NULL) return PyErr_Format(Unsupported, "psycopg's libpq is not loaded: %s", dlerror());
        missing = 0;
        pq.send_query = (int (*)(PGconn *, const char *))resolve(h, "PQsendQuery", &missing);
        pq.get_result = (PGresult * (*)(PGconn *)) resolve(h, "PQgetResult", &missing);
        pq.result_status = (int (*)(const PGresult *))resolve(h, "PQresultStatus", &missing);
        pq.result_error = (char *(*)(const PGresult *))resolve(h, "PQresultErrorMessage", &missing);
        pq.clear = (void (*)(PGresult *))resolve(h, "PQclear", &missing);
        pq.get_copy_data = (int (*)(PGconn *, char **, int))resolve(h, "PQgetCopyData", &missing);
        pq.freemem = (void (*)(void *))resolve(h, "PQfreemem", &missing);
        pq.error_message = (char *(*)(const PGconn *))resolve(h, "PQerrorMessage", &missing);
        pq.is_nonblocking = (int (*)(const PGconn *))resolve(h, "PQisnonblocking", &missing);
        pq.set_nonblocking = (int (*)(PGconn *, int))resolve(h, "PQsetnonblocking", &missing);
        pq.parameter_status =
            (const char *(*)(const PGconn *, const char *))resolve(h, "PQparameterStatus", &missing);
        if (missing) return PyErr_Format(Unsupported, "psycopg's libpq does not export its API");
        pq.ready = 1;
    }
    return Py_BuildValue("{s:O,s:O,s:i}", "sqlite", lite.ready ? Py_True : Py_False, "postgresql",
                         pq.ready ? Py_True : Py_False, "sqlite_version", lite.ready ? lite.libversion_number() : 0);
}

static int init_walk(walk_t *w, long long expected_seq, PyObject *prev, PyObject *checkpoints, int collect) {
    memset(w, 0, sizeof(*w));
    w->expected_seq = expected_seq;
    w->collect = collect;
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(prev, &n);
    if (s == NULL) return -1;
    if (buf_put(&w->prev, s, (size_t)n)) {
        PyErr_NoMemory();
        return -1;
    }
    /* checkpoints: a list of (seq, head hash) in ascending seq order */
    if (!PyList_Check(checkpoints)) {
        PyErr_SetString(PyExc_TypeError, "checkpoints must be a list of (seq, hash)");
        return -1;
    }
    w->ncps = PyList_GET_SIZE(checkpoints);
    w->cps = PyMem_Calloc(w->ncps ? (size_t)w->ncps : 1, sizeof(cp_t));
    if (w->cps == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t total = 0;
    for (Py_ssize_t i = 0; i < w->ncps; i++) {
        long long seq;
        PyObject *hash;
        if (!PyArg_Parse(PyList_GET_ITEM(checkpoints, i), "(LU)", &seq, &hash)) return -1;
        w->cps[i].seq = seq;
        if (PyUnicode_AsUTF8AndSize(hash, &w->cps[i].len) == NULL) return -1;
        total += (size_t)w->cps[i].len;
        if (i && w->cps[i].seq <= w->cps[i - 1].seq) {
            PyErr_SetString(PyExc_ValueError, "checkpoints must be in ascending order");
            return -1;
        }
    }
    /* copied: the list could change while the walk lets other threads run */
    w->cp_hashes = PyMem_Malloc(total ? total : 1);
    if (w->cp_hashes == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0, at = 0; i < w->ncps; i++) {
        const char *text = PyUnicode_AsUTF8(PyTuple_GET_ITEM(PyList_GET_ITEM(checkpoints, i), 1));
        memcpy(w->cp_hashes + at, text, (size_t)w->cps[i].len);
        w->cps[i].hash = w->cp_hashes + at;
        at += w->cps[i].len;
    }
    w->ctx = ssl.ctx_new();
    w->base = ssl.ctx_new();
    if (w->ctx == NULL || w->base == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (!ssl.init(w->base, ssl.sha256, NULL)) {
        PyErr_SetString(Unsupported, "libcrypto could not start a SHA-256 digest");
        return -1;
    }
    return 0;
}

static void free_walk(walk_t *w) {
    if (w->ctx) ssl.ctx_free(w->ctx);
    PyMem_Free(w->cps);
    PyMem_Free(w->cp_hashes);
    buf_free(&w->prev);
    buf_free(&w->first_prev);
    buf_free(&w->finding_prev);
    buf_free(&w->suspects);
    buf_free(&w->uncounted);
    buf_free(&w->collected);
    buf_free(&w->data);
    buf_free(&w->scratch);
    if (w->base) ssl.ctx_free(w->base);
}

/* Hashes read back as text; bytes that are not UTF-8 (an edited SQLite row) keep their value
 * through surrogateescape, so the caller's lookups by hash simply find nothing. */
static PyObject *text_or_error(const unsigned char *s, size_t n) {
    return PyUnicode_DecodeUTF8(s ? (const char *)s : "", (Py_ssize_t)n, "surrogateescape");
}

static PyObject *result_of(walk_t *w) {
    PyObject *suspects = PyList_New(0), *collected = NULL, *finding = NULL, *out = NULL;
    PyObject *first_prev = NULL, *last_hash = NULL, *uncounted = PyList_New(0);
    if (suspects == NULL || uncounted == NULL) goto done;
    for (size_t at = 0; at < w->uncounted.len; at += sizeof(int64_t)) {
        int64_t seq;
        memcpy(&seq, w->uncounted.data + at, sizeof(seq));
        PyObject *number = PyLong_FromLongLong(seq);
        if (number == NULL || PyList_Append(uncounted, number) != 0) {
            Py_XDECREF(number);
            goto done;
        }
        Py_DECREF(number);
    }
    for (size_t at = 0; at < w->suspects.len;) {
        int64_t seq;
        uint32_t n;
        memcpy(&seq, w->suspects.data + at, sizeof(seq));
        memcpy(&n, w->suspects.data + at + sizeof(seq), sizeof(n));
        at += sizeof(seq) + sizeof(n);
        PyObject *hash = text_or_error(w->suspects.data + at, n);
        at += n;
        PyObject *pair = hash ? Py_BuildValue("(LN)", (long long)seq, hash) : NULL;
        if (pair == NULL || PyList_Append(suspects, pair) != 0) {
            Py_XDECREF(pair);
            goto done;
        }
        Py_DECREF(pair);
    }
    if (w->collect) {
        collected = PyList_New(0);
        if (collected == NULL) goto done;
        for (size_t at = 0; at < w->collected.len;) {
            int64_t seq, n;
            memcpy(&seq, w->collected.data + at, sizeof(seq));
            memcpy(&n, w->collected.data + at + sizeof(seq), sizeof(n));
            at += sizeof(seq) + sizeof(n);
            PyObject *data;
            if (n < 0) {
                data = Py_NewRef(Py_None);
            } else {
                data = PyBytes_FromStringAndSize((const char *)w->collected.data + at, (Py_ssize_t)n);
                at += (size_t)n;
            }
            PyObject *pair = data ? Py_BuildValue("(LN)", (long long)seq, data) : NULL;
            if (pair == NULL || PyList_Append(collected, pair) != 0) {
                Py_XDECREF(pair);
                goto done;
            }
            Py_DECREF(pair);
        }
    } else {
        collected = Py_NewRef(Py_None);
    }
    switch (w->finding) {
    case FIND_DELETED:
        finding = Py_BuildValue("(sLL)", "deleted", (long long)w->finding_seq, (long long)w->finding_last);
        break;
    case FIND_INSERTED: {
        PyObject *prev = text_or_error(w->finding_prev.data, w->finding_prev.len);
        finding = prev ? Py_BuildValue("(sLN)", "inserted", (long long)w->finding_seq, prev) : NULL;
        break;
    }
    case FIND_CHECKPOINT:
        finding = Py_BuildValue("(sLO)", "checkpoint", (long long)w->finding_seq, Py_None);
        break;
    default:
        finding = Py_NewRef(Py_None);
    }
    if (finding == NULL) goto done;
    first_prev = text_or_error(w->first_prev.data, w->first_prev.len);
    last_hash = text_or_error(w->prev.data, w->prev.len);
    if (first_prev == NULL || last_hash == NULL) goto done;
    out = Py_BuildValue("{s:L,s:L,s:L,s:L,s:L,s:O,s:O,s:O,s:O,s:O,s:O}", "events", (long long)w->events, "head_seq",
                        (long long)w->head_seq, "checkpoints", (long long)w->checkpoints, "targets",
                        (long long)w->targets, "first_seq", (long long)w->first_seq, "first_prev", first_prev,
                        "last_hash", last_hash, "finding", finding, "suspects", suspects, "uncounted", uncounted,
                        "collected", collected);
done:
    Py_XDECREF(suspects);
    Py_XDECREF(uncounted);
    Py_XDECREF(collected);
    Py_XDECREF(finding);
    Py_XDECREF(first_prev);
    Py_XDECREF(last_hash);
    return out;
}

static PyObject *finish(walk_t *w, int status) {
    PyObject *out = NULL;
    if (status == 0) {
        out = result_of(w);
    } else if (PyErr_Occurred()) {
        /* set already (a signal's exception, a database error) */
    } else if (w->nomem) {
        PyErr_NoMemory();
    } else if (w->broken) {
        PyErr_SetString(PyExc_RuntimeError, w->broken);
    } else {
        PyErr_SetString(Unsupported, w->unsupported ? w->unsupported : "the walk stopped without a reason");
    }
    free_walk(w);
    return out;
}

/* walk_sqlite(connection, sql, after, upto, expected_seq, prev, checkpoints, collect) */
static PyObject *walk_sqlite(PyObject *self, PyObject *args) {
    PyObject *connection, *prev, *checkpoints;
    const char *sql;
    long long after, upto, expected;
    int collect;
    if (!PyArg_ParseTuple(args, "OsLLLUO!p", &connection, &sql, &after, &upto, &expected, &prev, &PyList_Type,
                          &checkpoints, &collect))
        return NULL;
    if (!lite.ready || !ssl.ready) return PyErr_Format(Unsupported, "load() has not found SQLite");
#if PY_VERSION_HEX < 0x030B0000 || PY_VERSION_HEX >= 0x030E0000
    return PyErr_Format(Unsupported, "the sqlite3 connection layout of this Python is not known");
#endif
    PyObject *module = PyImport_ImportModule("sqlite3");
    if (module == NULL) return NULL;
    PyObject *type = PyObject_GetAttrString(module, "Connection");
    Py_DECREF(module);
    if (type == NULL) return NULL;
    /* The real type, not what __class__ says: the handle is read from the object's own memory. */
    int is_connection = PyType_Check(type) && PyObject_TypeCheck(connection, (PyTypeObject *)type);
    Py_DECREF(type);
    if (!is_connection) {
        PyErr_SetString(PyExc_TypeError, "not a sqlite3.Connection");
        return NULL;
    }
    /* The handle is the first field after the object header in CPython's pysqlite_Connection
     * (3.11 to 3.13, checked at build time above). As a last consistency check its change counter
     * must be the one the Python object reports through the same C call. */
    sqlite3 *db = *(sqlite3 **)((char *)connection + sizeof(PyObject));
    if (db == NULL) return PyErr_Format(Unsupported, "the connection is closed");
    PyObject *changes = PyObject_GetAttrString(connection, "total_changes");
    if (changes == NULL) return NULL;
    long reported = PyLong_AsLong(changes);
    Py_DECREF(changes);
    if (reported == -1 && PyErr_Occurred()) return NULL;
    if (lite.total_changes(db) != reported) return PyErr_Format(Unsupported, "the SQLite handle does not match");
    walk_t w;
    if (init_walk(&w, expected, prev, checkpoints, collect) != 0) {
        free_walk(&w);
        return NULL;
    }
    return finish(&w, walk_sqlite_rows(&w, db, sql, after, upto));
}

/* walk_postgresql(pgconn_ptr, sql, expected_seq, prev, checkpoints, collect) */
static PyObject *walk_postgresql(PyObject *self, PyObject *args) {
    PyObject *prev, *checkpoints;
    unsigned long long address;
    const char *sql;
    long long expected;
    int collect;
    if (!PyArg_ParseTuple(args, "KsLUO!p", &address, &sql, &expected, &prev, &PyList_Type, &checkpoints, &collect))
        return NULL;
    if (!pq.ready || !ssl.ready) return PyErr_Format(Unsupported, "load() has not found libpq");
    if (address == 0) return PyErr_Format(Unsupported, "the connection is closed");
    walk_t w;
    if (init_walk(&w, expected, prev, checkpoints, collect) != 0) {
        free_walk(&w);
        return NULL;
    }
    return finish(&w, walk_pg_rows(&w, (PGconn *)(uintptr_t)address, sql));
}

static PyMethodDef methods[] = {
    {"load", (PyCFunction)(void (*)(void))load, METH_VARARGS | METH_KEYWORDS,
     "load(hashlib, sqlite=None, libpq=None): find the already loaded libraries' functions."},
    {"walk_sqlite", walk_sqlite, METH_VARARGS, "Walk a range of the chain over a sqlite3.Connection."},
    {"walk_postgresql", walk_postgresql, METH_VARARGS, "Walk a range of the chain over a PGconn pointer."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "custody_chainwalk",
    .m_doc = "The audit chain walk of Custody's verify_audit, compiled.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit_custody_chainwalk(void) {
    init_nibbles();
    init_plain();
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Unsupported = PyErr_NewException("custody_chainwalk.Unsupported", PyExc_RuntimeError, NULL);
    if (Unsupported == NULL || PyModule_AddObjectRef(m, "Unsupported", Unsupported) < 0 ||
        PyModule_AddIntConstant(m, "FORMAT_VERSION", 1) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
