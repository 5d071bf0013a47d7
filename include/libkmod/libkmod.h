/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkmod.h: the C interface of libkmod.so.2 as kmodx provides it, written
 * for kmodx from libkmod's documented API (kmod master). Programs built
 * against kmod's own libkmod.h link to kmodx's libkmod.so.2 unchanged: the
 * declarations, enum values and flag values are the same, and every function
 * is exported under kmod's symbol version (packaging/libkmod.map).
 *
 * Behind it is libkmodx (include/kmodx/): one lookup, one configuration
 * reader, one probe and one loader backend for the tools and this library.
 * Loading goes through the loader backend, so KMODX_BACKEND=sim:DIR makes a
 * client load into kmodx's simulated kernel.
 *
 * Thread safety: better than libkmod's. A kmod_ctx and the modules and
 * lists made from it may be used from several threads at once (each call
 * locks the context); libkmod asks for one context per thread. A list is
 * still one caller's: do not free it while another thread walks it. The
 * callbacks (the log function, print_action, run_install) run with the
 * context locked: they may call the library on their own thread, while
 * another thread that uses the same context waits for the call to end (so
 * a callback must not wait for such a thread), as does a probe's load.
 */
#ifndef _LIBKMOD_H_
#define _LIBKMOD_H_

#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- library context ---------------------------------------------------- */

/* Opaque: the module directory, its configuration and indexes, the log. */
struct kmod_ctx;

/* dirname: the module directory (NULL: /lib/modules/`uname -r`);
 * config_paths: NULL-terminated list of modprobe.d files and directories
 * (NULL: the default search path). One reference, or NULL on failure. */
struct kmod_ctx *kmod_new(const char *dirname, const char *const *config_paths);
struct kmod_ctx *kmod_ref(struct kmod_ctx *ctx);
struct kmod_ctx *kmod_unref(struct kmod_ctx *ctx);

/* Opens the indexes once for every later lookup (else each lookup opens
 * what it reads). 0 or a negative errno. */
int kmod_load_resources(struct kmod_ctx *ctx);
void kmod_unload_resources(struct kmod_ctx *ctx);

enum kmod_resources {
	KMOD_RESOURCES_OK = 0,
	KMOD_RESOURCES_MUST_RELOAD = 1,
	KMOD_RESOURCES_MUST_RECREATE = 2,
};
/* Whether the loaded indexes and configuration are still current. */
int kmod_validate_resources(struct kmod_ctx *ctx);

enum kmod_index {
	KMOD_INDEX_MODULES_DEP = 0,
	KMOD_INDEX_MODULES_ALIAS,
	KMOD_INDEX_MODULES_SYMBOL,
	KMOD_INDEX_MODULES_BUILTIN_ALIAS,
	KMOD_INDEX_MODULES_BUILTIN,
	_KMOD_INDEX_PAD = 1U << 31,
};
/* Writes the index as text ("key value" lines) to fd. */
int kmod_dump_index(struct kmod_ctx *ctx, enum kmod_index type, int fd);

/* syslog priorities; the default is LOG_ERR, or $KMOD_LOG. */
void kmod_set_log_priority(struct kmod_ctx *ctx, int priority);
int kmod_get_log_priority(const struct kmod_ctx *ctx);
void kmod_set_log_fn(struct kmod_ctx *ctx,
		     void (*log_fn)(void *log_data, int priority, const char *file, int line,
				    const char *fn, const char *format, va_list args),
		     const void *data);
void kmod_set_userdata(struct kmod_ctx *ctx, const void *userdata);
void *kmod_get_userdata(const struct kmod_ctx *ctx);
const char *kmod_get_dirname(const struct kmod_ctx *ctx);

/* ---- lists -------------------------------------------------------------- */

/* Opaque: an entry of a list; the list is its first entry. */
struct kmod_list;

#define kmod_list_foreach(list_entry, first_entry) \
	for (list_entry = first_entry; list_entry != NULL; \
	     list_entry = kmod_list_next(first_entry, list_entry))

#define kmod_list_foreach_reverse(list_entry, first_entry) \
	for (list_entry = kmod_list_last(first_entry); list_entry != NULL; \
	     list_entry = kmod_list_prev(first_entry, list_entry))

struct kmod_list *kmod_list_last(const struct kmod_list *list);
struct kmod_list *kmod_list_next(const struct kmod_list *list, const struct kmod_list *curr);
struct kmod_list *kmod_list_prev(const struct kmod_list *list, const struct kmod_list *curr);

/* ---- configuration ------------------------------------------------------ */

/* Opaque: a walk over one kind of configuration entry. */
struct kmod_config_iter;

struct kmod_config_iter *kmod_config_get_blacklists(const struct kmod_ctx *ctx);
struct kmod_config_iter *kmod_config_get_install_commands(const struct kmod_ctx *ctx);
struct kmod_config_iter *kmod_config_get_remove_commands(const struct kmod_ctx *ctx);
struct kmod_config_iter *kmod_config_get_aliases(const struct kmod_ctx *ctx);
struct kmod_config_iter *kmod_config_get_options(const struct kmod_ctx *ctx);
struct kmod_config_iter *kmod_config_get_softdeps(const struct kmod_ctx *ctx);
struct kmod_config_iter *kmod_config_get_weakdeps(const struct kmod_ctx *ctx);
const char *kmod_config_iter_get_key(const struct kmod_config_iter *iter);
const char *kmod_config_iter_get_value(const struct kmod_config_iter *iter);
/* Moves to the next entry (the first, on the first call). */
bool kmod_config_iter_next(struct kmod_config_iter *iter);
void kmod_config_iter_free_iter(struct kmod_config_iter *iter);

/* ---- modules ------------------------------------------------------------ */

/* Opaque and reference counted: one object per module name in a context. */
struct kmod_module;

/* Every module an alias or name resolves to (KMOD-SPEC 8.2), appended to
 * *list. 0 (also when nothing is found) or a negative errno. */
int kmod_module_new_from_lookup(struct kmod_ctx *ctx, const char *given_alias,
				struct kmod_list **list);
/* A module name alone: modules.dep, then the built-in indexes. */
int kmod_module_new_from_name_lookup(struct kmod_ctx *ctx, const char *modname,
				     struct kmod_module **mod);
int kmod_module_new_from_name(struct kmod_ctx *ctx, const char *name, struct kmod_module **mod);
int kmod_module_new_from_path(struct kmod_ctx *ctx, const char *path, struct kmod_module **mod);
struct kmod_module *kmod_module_ref(struct kmod_module *mod);
struct kmod_module *kmod_module_unref(struct kmod_module *mod);
/* Drops each module's reference and frees the list. */
int kmod_module_unref_list(struct kmod_list *list);

enum kmod_insert {
	KMOD_INSERT_FORCE_VERMAGIC = 0x1,
	KMOD_INSERT_FORCE_MODVERSION = 0x2,
};
int kmod_module_insert_module(struct kmod_module *mod, unsigned int flags, const char *options);

enum kmod_probe {
	KMOD_PROBE_FORCE_VERMAGIC = 0x00001,
	KMOD_PROBE_FORCE_MODVERSION = 0x00002,
	KMOD_PROBE_IGNORE_COMMAND = 0x00004,
	KMOD_PROBE_IGNORE_LOADED = 0x00008,
	KMOD_PROBE_DRY_RUN = 0x00010,
	KMOD_PROBE_FAIL_ON_LOADED = 0x00020,
	/* also returned, positive, when the blacklist stopped the probe */
	KMOD_PROBE_APPLY_BLACKLIST_ALL = 0x10000,
	KMOD_PROBE_APPLY_BLACKLIST = 0x20000,
	KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY = 0x40000,
};
int kmod_module_probe_insert_module(
	struct kmod_module *mod, unsigned int flags, const char *extra_options,
	int (*run_install)(struct kmod_module *m, const char *cmdline, void *data),
	const void *data,
	void (*print_action)(struct kmod_module *m, bool install, const char *options));

enum kmod_remove {
	KMOD_REMOVE_FORCE = O_TRUNC,
	KMOD_REMOVE_NOWAIT = O_NONBLOCK,
	KMOD_REMOVE_NOLOG = 1,
};
int kmod_module_remove_module(struct kmod_module *mod, unsigned int flags);

/* The module of a list entry, with a new reference. */
struct kmod_module *kmod_module_get_module(const struct kmod_list *entry);
/* modules.dep's dependencies, nearest first; each with a reference. */
struct kmod_list *kmod_module_get_dependencies(const struct kmod_module *mod);
int kmod_module_get_softdeps(const struct kmod_module *mod, struct kmod_list **pre,
			     struct kmod_list **post);
int kmod_module_get_weakdeps(const struct kmod_module *mod, struct kmod_list **weak);

enum kmod_filter {
	KMOD_FILTER_BLACKLIST = 0x00001,
	KMOD_FILTER_BUILTIN = 0x00002,
};
int kmod_module_apply_filter(const struct kmod_ctx *ctx, enum kmod_filter filter_type,
			     const struct kmod_list *input, struct kmod_list **output);
int kmod_module_get_filtered_blacklist(const struct kmod_ctx *ctx, const struct kmod_list *input,
				       struct kmod_list **output) __attribute__((deprecated));

const char *kmod_module_get_install_commands(const struct kmod_module *mod);
const char *kmod_module_get_remove_commands(const struct kmod_module *mod);
const char *kmod_module_get_name(const struct kmod_module *mod);
const char *kmod_module_get_options(const struct kmod_module *mod);
const char *kmod_module_get_path(const struct kmod_module *mod);

/* ---- what a module file holds ------------------------------------------- */

enum kmod_symbol_bind {
	KMOD_SYMBOL_NONE = '\0',
	KMOD_SYMBOL_LOCAL = 'L',
	KMOD_SYMBOL_GLOBAL = 'G',
	KMOD_SYMBOL_WEAK = 'W',
	KMOD_SYMBOL_UNDEF = 'U',
};
/* The symbols it needs from others. */
int kmod_module_get_dependency_symbols(const struct kmod_module *mod, struct kmod_list **list);
int kmod_module_dependency_symbol_get_bind(const struct kmod_list *entry);
uint64_t kmod_module_dependency_symbol_get_crc(const struct kmod_list *entry);
const char *kmod_module_dependency_symbol_get_symbol(const struct kmod_list *entry);
void kmod_module_dependency_symbols_free_list(struct kmod_list *list);

/* The sections of a loaded module, with their addresses. */
struct kmod_list *kmod_module_get_sections(const struct kmod_module *mod);
unsigned long kmod_module_section_get_address(const struct kmod_list *entry);
const char *kmod_module_section_get_name(const struct kmod_list *entry);
void kmod_module_section_free_list(struct kmod_list *list);

/* The symbols it exports. */
int kmod_module_get_symbols(const struct kmod_module *mod, struct kmod_list **list);
uint64_t kmod_module_symbol_get_crc(const struct kmod_list *entry);
const char *kmod_module_symbol_get_symbol(const struct kmod_list *entry);
void kmod_module_symbols_free_list(struct kmod_list *list);

/* __versions: the CRCs it was built against. */
int kmod_module_get_versions(const struct kmod_module *mod, struct kmod_list **list);
uint64_t kmod_module_version_get_crc(const struct kmod_list *entry);
const char *kmod_module_version_get_symbol(const struct kmod_list *entry);
void kmod_module_versions_free_list(struct kmod_list *list);

/* .modinfo (and the signature's fields), as modinfo prints them. Returns
 * the number of entries or a negative errno. */
int kmod_module_get_info(const struct kmod_module *mod, struct kmod_list **list);
const char *kmod_module_info_get_key(const struct kmod_list *entry);
const char *kmod_module_info_get_value(const struct kmod_list *entry);
void kmod_module_info_free_list(struct kmod_list *list);

/* ---- the kernel's state ------------------------------------------------- */

int kmod_module_new_from_loaded(struct kmod_ctx *ctx, struct kmod_list **list);

enum kmod_module_initstate {
	KMOD_MODULE_BUILTIN = 0,
	KMOD_MODULE_LIVE,
	KMOD_MODULE_COMING,
	KMOD_MODULE_GOING,
	_KMOD_MODULE_PAD = 1U << 31,
};
int kmod_module_get_initstate(const struct kmod_module *mod);
const char *kmod_module_initstate_str(enum kmod_module_initstate state);
long kmod_module_get_size(const struct kmod_module *mod);
int kmod_module_get_refcnt(const struct kmod_module *mod);
struct kmod_list *kmod_module_get_holders(const struct kmod_module *mod);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _LIBKMOD_H_ */
