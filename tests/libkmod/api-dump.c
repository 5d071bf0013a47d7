/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drives libkmod's C API over a module directory and prints everything it
 * gets back, so that two libraries can be compared by their output: built
 * against Debian's <libkmod.h> (libkmod-dev), run once with Debian's
 * libkmod.so.2 and once with kmodx's (LD_LIBRARY_PATH).
 *
 * Usage: api-dump MODULE_DIR CONFIG_DIR NAMES_FILE --files|--no-files [MODULE_FILE]
 *   NAMES_FILE: one lookup per line (module names, aliases, symbol:...), and
 *   "--load-resources" where the indexes are to be loaded;
 *   MODULE_FILE: a module for kmod_module_new_from_path() and the error paths.
 *   --files: also each module's info, versions, symbols and needed symbols.
 * Nothing is loaded: every probe is a dry run (KMOD_PROBE_DRY_RUN), but for
 * those of dump_install_results(), whose every step is an install command
 * given to run_install (a dry run shows it first).
 */
#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void log_to_stdout(void *data, int priority, const char *file, int line, const char *fn,
			  const char *format, va_list args)
{
	printf("LOG(%s) %d %s:%d %s: ", (const char *)data, priority, file, line, fn);
	vprintf(format, args);
}

static const char *str(const char *s)
{
	return s != NULL ? s : "(null)";
}

static void print_modules(const char *what, const struct kmod_list *list)
{
	const struct kmod_list *l;

	printf("  %s:", what);
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);
		printf(" %s", kmod_module_get_name(m));
		kmod_module_unref(m);
	}
	printf("\n");
}

static void print_action(struct kmod_module *m, bool install, const char *options)
{
	printf("  action %s %s [%s] [%s]\n", install ? "install" : "insmod", kmod_module_get_name(m), options,
	       str(install ? kmod_module_get_install_commands(m) : kmod_module_get_path(m)));
}

static int run_install(struct kmod_module *m, const char *cmdline, void *data)
{
	printf("  run_install %s [%s] %s\n", kmod_module_get_name(m), cmdline, (const char *)data);
	return 0;
}

static void dump_file(struct kmod_module *mod)
{
	struct kmod_list *list = NULL, *l;
	int n = kmod_module_get_info(mod, &list);

	printf("  info %d\n", n);
	kmod_list_foreach(l, list)
		printf("    %s=%s\n", kmod_module_info_get_key(l), kmod_module_info_get_value(l));
	kmod_module_info_free_list(list);

	list = NULL;
	n = kmod_module_get_versions(mod, &list);
	printf("  versions %d\n", n);
	kmod_list_foreach(l, list)
		printf("    %s %#" PRIx64 "\n", kmod_module_version_get_symbol(l), kmod_module_version_get_crc(l));
	kmod_module_versions_free_list(list);

	list = NULL;
	n = kmod_module_get_symbols(mod, &list);
	printf("  symbols %d\n", n);
	kmod_list_foreach(l, list)
		printf("    %s %#" PRIx64 "\n", kmod_module_symbol_get_symbol(l), kmod_module_symbol_get_crc(l));
	kmod_module_symbols_free_list(list);

	list = NULL;
	n = kmod_module_get_dependency_symbols(mod, &list);
	printf("  dependency symbols %d\n", n);
	/* dracut-install reads these entries through kmod_module_symbol_get_symbol() */
	kmod_list_foreach(l, list)
		printf("    %c %s %#" PRIx64 " [%s]\n", kmod_module_dependency_symbol_get_bind(l),
		       kmod_module_dependency_symbol_get_symbol(l), kmod_module_dependency_symbol_get_crc(l),
		       kmod_module_symbol_get_symbol(l));
	kmod_module_dependency_symbols_free_list(list);
}

static void dump_module(struct kmod_module *mod, int files)
{
	struct kmod_list *list, *pre = NULL, *post = NULL;
	int err;

	printf(" module %s path=%s\n", kmod_module_get_name(mod), str(kmod_module_get_path(mod)));
	printf("  options=[%s] install=[%s] remove=[%s]\n", str(kmod_module_get_options(mod)),
	       str(kmod_module_get_install_commands(mod)), str(kmod_module_get_remove_commands(mod)));
	err = kmod_module_get_initstate(mod);
	printf("  initstate %d\n", err);
	list = kmod_module_get_dependencies(mod);
	print_modules("dependencies", list);
	kmod_module_unref_list(list);
	err = kmod_module_get_softdeps(mod, &pre, &post);
	printf("  softdeps %d\n", err);
	print_modules("pre", pre);
	print_modules("post", post);
	kmod_module_unref_list(pre);
	kmod_module_unref_list(post);
	err = kmod_module_probe_insert_module(mod, KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED, "extra=1", NULL,
					      NULL, print_action);
	printf("  probe %d\n", err);
	err = kmod_module_probe_insert_module(mod,
					      KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED |
						      KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY,
					      NULL, run_install, "cb", print_action);
	printf("  probe alias-only %d\n", err);
	err = kmod_module_probe_insert_module(mod,
					      KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED |
						      KMOD_PROBE_APPLY_BLACKLIST_ALL | KMOD_PROBE_IGNORE_COMMAND,
					      NULL, NULL, NULL, print_action);
	printf("  probe blacklist-all %d\n", err);
	err = kmod_module_probe_insert_module(mod, KMOD_PROBE_DRY_RUN | KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL,
					      NULL, NULL);
	printf("  probe blacklist %d\n", err);
	if (files)
		dump_file(mod);
}

static void dump_config(struct kmod_ctx *ctx)
{
	static const struct {
		const char *name;
		struct kmod_config_iter *(*get)(const struct kmod_ctx *);
	} kinds[] = {
		{"blacklist", kmod_config_get_blacklists},
		{"install", kmod_config_get_install_commands},
		{"remove", kmod_config_get_remove_commands},
		{"alias", kmod_config_get_aliases},
		{"options", kmod_config_get_options},
		{"softdep", kmod_config_get_softdeps},
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct kmod_config_iter *iter = kinds[i].get(ctx);
		int rounds;
		printf("config %s first key=%s\n", kinds[i].name, str(kmod_config_iter_get_key(iter)));
		/* twice: the iterator starts over after its end */
		for (rounds = 0; rounds < 2; rounds++)
			while (kmod_config_iter_next(iter))
				printf("config %s %s [%s]\n", kinds[i].name, kmod_config_iter_get_key(iter),
				       str(kmod_config_iter_get_value(iter)));
		kmod_config_iter_free_iter(iter);
	}
}

static void dump_errors(struct kmod_ctx *ctx, const char *module_file)
{
	struct kmod_list *list = NULL, *out = (struct kmod_list *)1;
	struct kmod_module *mod = NULL;
	int err;

	printf("errors\n");
	printf(" lookup null ctx %d\n", kmod_module_new_from_lookup(NULL, "x", &list));
	printf(" lookup null alias %d\n", kmod_module_new_from_lookup(ctx, NULL, &list));
	printf(" lookup bad alias %d\n", kmod_module_new_from_lookup(ctx, "a[b", &list));
	/* (each call before the print that reads what it wrote) */
	err = kmod_module_new_from_lookup(ctx, "no-such-module", &list);
	printf(" lookup nothing %d %s\n", err, list == NULL ? "empty" : "not empty");
	printf(" name null %d\n", kmod_module_new_from_name(ctx, NULL, &mod));
	printf(" path missing %d\n", kmod_module_new_from_path(ctx, "/nonexistent/x.ko", &mod));
	err = kmod_module_new_from_name_lookup(ctx, "no_such_module", &mod);
	printf(" name_lookup missing %d %s\n", err, mod == NULL ? "null" : "set");
	printf(" filter null ctx %d\n", kmod_module_apply_filter(NULL, KMOD_FILTER_BLACKLIST, NULL, &out));
	err = kmod_module_apply_filter(ctx, KMOD_FILTER_BUILTIN, NULL, &out);
	printf(" filter empty %d %s\n", err, out == NULL ? "null" : "set");
	printf(" info null %d\n", kmod_module_get_info(NULL, &list));
	printf(" initstate null %d\n", kmod_module_get_initstate(NULL));
	printf(" probe null %d\n", kmod_module_probe_insert_module(NULL, 0, NULL, NULL, NULL, NULL));
	printf(" name of null %s\n", str(kmod_module_get_name(NULL)));
	printf(" list next of null %p\n", (void *)kmod_list_next(NULL, NULL));
	printf(" initstate_str %s %s %s %s %s\n", kmod_module_initstate_str(KMOD_MODULE_BUILTIN),
	       kmod_module_initstate_str(KMOD_MODULE_LIVE), kmod_module_initstate_str(KMOD_MODULE_COMING),
	       kmod_module_initstate_str(KMOD_MODULE_GOING), str(kmod_module_initstate_str(42)));
	printf(" section address of null %lu\n", kmod_module_section_get_address(NULL));
	printf(" path without a name %d\n", kmod_module_new_from_path(ctx, "/tmp/", &mod));
	if (kmod_module_new_from_path(ctx, module_file, &mod) == 0) {
		struct kmod_module *other = NULL;
		char copy[4096], copied[8200];
		printf(" from path %s %s\n", kmod_module_get_name(mod), kmod_module_get_path(mod));
		/* the same name at another path, while the first is held */
		snprintf(copy, sizeof(copy), "%s.d", module_file);
		if (mkdir(copy, 0700) == 0) {
			snprintf(copied, sizeof(copied), "%s/%s", copy, strrchr(module_file, '/') + 1);
			if (link(module_file, copied) == 0 || symlink(module_file, copied) == 0) {
				err = kmod_module_new_from_path(ctx, copied, &other);
				printf(" same name, other path %d\n", err);
				/* and once the first is released: a new object */
				mod = kmod_module_unref(mod);
				err = kmod_module_new_from_path(ctx, copied, &other);
				printf(" same name, other path, the first released %d %s\n", err,
				       err == 0 ? kmod_module_get_path(other) : "-");
				kmod_module_unref(other);
				unlink(copied);
			}
			rmdir(copy);
		}
		kmod_module_unref(mod);
	}
	/* kmod_set_log_fn(ctx, NULL, ...) silences the log */
	list = (struct kmod_list *)1;
	kmod_set_log_fn(ctx, NULL, NULL);
	printf(" silenced %d\n", kmod_module_new_from_lookup(ctx, "x", &list));
	kmod_set_log_fn(ctx, log_to_stdout, "ctx");
	printf(" logged %d\n", kmod_module_new_from_lookup(ctx, "x", &list));
}

/* Modules of one context filtered with another's configuration. */
static void dump_cross_filter(struct kmod_ctx *ctx, const char *dirname)
{
	struct kmod_ctx *bare = kmod_new(dirname, (const char *const[]){"/nonexistent", NULL});
	struct kmod_list *list = NULL, *filtered = NULL;
	int err;

	kmod_set_log_fn(bare, log_to_stdout, "bare");
	err = kmod_module_new_from_lookup(ctx, "my-chain", &list);
	printf("cross filter %d\n", err);
	err = kmod_module_apply_filter(bare, KMOD_FILTER_BLACKLIST | KMOD_FILTER_BUILTIN, list, &filtered);
	printf(" %d\n", err);
	print_modules("filtered by another context", filtered);
	kmod_module_unref_list(filtered);
	kmod_module_unref_list(list);
	kmod_unref(bare);
}

/* Every index as kmod_dump_index() writes it. */
static void dump_indexes(struct kmod_ctx *ctx)
{
	for (int i = KMOD_INDEX_MODULES_DEP; i <= KMOD_INDEX_MODULES_BUILTIN; i++) {
		char buf[65536];
		FILE *f = tmpfile();
		size_t n;
		int err = kmod_dump_index(ctx, (enum kmod_index)i, fileno(f));
		printf("index %d: %d\n", i, err);
		rewind(f);
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stdout);
		fclose(f);
	}
}

/* This machine's loaded modules, as both libraries read the same kernel. */
static void dump_loaded(struct kmod_ctx *ctx)
{
	struct kmod_list *list = NULL, *l;
	int err = kmod_module_new_from_loaded(ctx, &list);

	printf("loaded %d\n", err);
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		struct kmod_list *holders = kmod_module_get_holders(mod);
		struct kmod_list *sections = kmod_module_get_sections(mod), *s;
		int n = 0;

		printf(" %s size %ld refcnt %d initstate %d\n", kmod_module_get_name(mod), kmod_module_get_size(mod),
		       kmod_module_get_refcnt(mod), kmod_module_get_initstate(mod));
		print_modules("holders", holders);
		kmod_list_foreach(s, sections)
			n++;
		printf("  sections %d\n", n);
		kmod_module_section_free_list(sections);
		kmod_module_unref_list(holders);
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
}

/*
 * What run_install returns for the last module of the plan is what the
 * probe returns, positive or not. A probe runs only when a dry run showed
 * that every step is an install command, so every step goes to run_install
 * and none to the kernel: kx_cmd_post's plan is its command alone, while
 * kx_cmd_only has a softdep, and libkmod ignores the install command of a
 * module with softdeps, so its plan inserts it and is not run.
 */
static int all_install, actions;

static void check_action(struct kmod_module *m, bool install, const char *options)
{
	(void)m;
	(void)options;
	actions++;
	if (!install)
		all_install = 0;
}

static int run_install_result(struct kmod_module *m, const char *cmdline, void *data)
{
	printf("  run_install %s [%s] -> %d\n", kmod_module_get_name(m), cmdline, *(const int *)data);
	return *(const int *)data;
}

static void dump_install_results(const char *dir)
{
	static const char text[] = "install kx_cmd_only /bin/false\n"
				   "softdep kx_cmd_only post: kx_cmd_post\n"
				   "install kx_cmd_post /bin/true\n";
	static const char *const names[] = {"kx_cmd_only", "kx_cmd_post"};
	static const int results[] = {3, -5, 0};
	char path[] = "/tmp/api-dump-install.XXXXXX";
	const char *config[] = {path, NULL};
	struct kmod_ctx *ctx;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, sizeof(text) - 1) != (ssize_t)(sizeof(text) - 1) || close(fd) < 0) {
		printf("install: cannot write %s\n", path);
		return;
	}
	ctx = kmod_new(dir, config);
	kmod_set_log_fn(ctx, log_to_stdout, "install");
	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		for (size_t r = 0; r < sizeof(results) / sizeof(results[0]); r++) {
			struct kmod_module *mod = NULL;
			int err = kmod_module_new_from_name(ctx, names[n], &mod);

			all_install = 1;
			actions = 0;
			if (err == 0)
				err = kmod_module_probe_insert_module(mod, KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED,
								      NULL, NULL, NULL, check_action);
			if (err != 0 || !all_install || actions == 0) {
				printf("install %s: %d, not every step a command: not run\n", names[n], err);
			} else {
				err = kmod_module_probe_insert_module(mod, KMOD_PROBE_IGNORE_LOADED, NULL,
								      run_install_result, &results[r], print_action);
				printf("install %s run_install %d: probe %d\n", names[n], results[r], err);
			}
			kmod_module_unref(mod);
		}
	}
	kmod_unref(ctx);
	unlink(path);
}

int main(int argc, char **argv)
{
	const char *config[] = {NULL, NULL};
	struct kmod_ctx *ctx;
	char line[4096];
	FILE *names;
	int files;

	if (argc < 4) {
		fprintf(stderr, "usage: %s MODULE_DIR CONFIG_DIR NAMES_FILE --files|--no-files [MODULE_FILE]\n", argv[0]);
		return 2;
	}
	files = argc > 4 && strcmp(argv[4], "--files") == 0;
	config[0] = argv[2];
	ctx = kmod_new(argv[1], config);
	if (ctx == NULL)
		return 1;
	kmod_set_log_fn(ctx, log_to_stdout, "ctx");
	kmod_set_log_priority(ctx, 3);
	printf("dirname %s priority %d userdata %p\n", kmod_get_dirname(ctx), kmod_get_log_priority(ctx),
	       kmod_get_userdata(ctx));
	dump_config(ctx);

	names = fopen(argv[3], "re");
	if (names == NULL)
		return 1;
	/* The first half without, the second with the indexes loaded. */
	while (fgets(line, sizeof(line), names)) {
		struct kmod_list *list = NULL, *filtered = NULL, *l;
		struct kmod_module *by_name = NULL;
		int err;

		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "--load-resources") == 0) {
			printf("load %d validate %d\n", kmod_load_resources(ctx), kmod_validate_resources(ctx));
			continue;
		}
		err = kmod_module_new_from_lookup(ctx, line, &list);
		printf("lookup %s %d\n", line, err);
		kmod_list_foreach(l, list) {
			struct kmod_module *mod = kmod_module_get_module(l);
			dump_module(mod, files);
			kmod_module_unref(mod);
		}
		kmod_module_apply_filter(ctx, KMOD_FILTER_BLACKLIST | KMOD_FILTER_BUILTIN, list, &filtered);
		print_modules("filtered", filtered);
		kmod_module_unref_list(filtered);
		kmod_module_unref_list(list);
		err = kmod_module_new_from_name_lookup(ctx, line, &by_name);
		printf(" name_lookup %d %s\n", err, by_name != NULL ? kmod_module_get_name(by_name) : "-");
		kmod_module_unref(by_name);
	}
	fclose(names);
	if (argc > 5) {
		dump_errors(ctx, argv[5]);
		dump_cross_filter(ctx, argv[1]);
		dump_indexes(ctx);
		dump_loaded(ctx);
		dump_install_results(argv[1]);
	}
	kmod_unload_resources(ctx);
	printf("unref %p\n", (void *)kmod_unref(ctx));
	return 0;
}
