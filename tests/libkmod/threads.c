/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One kmod_ctx shared by several threads (kmodx's libkmod.so.2 allows it;
 * libkmod asks for a context per thread): each thread looks every name up,
 * walks the modules' dependencies, softdeps and options, and reads the
 * module files' info, many times over; what each thread saw must equal what
 * one thread alone sees. Prints "threads: same" or the first difference.
 *
 * Usage: threads MODULE_DIR NAMES_FILE THREADS ROUNDS
 */
#include <libkmod.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct kmod_ctx *ctx;
static char **names;
static int n_names, rounds;

/* What one pass over the names gives, as one string. */
static char *pass(void)
{
	size_t size = 0;
	char *out = NULL;
	FILE *f = open_memstream(&out, &size);

	for (int i = 0; i < n_names; i++) {
		struct kmod_list *list = NULL, *l;
		int err = kmod_module_new_from_lookup(ctx, names[i], &list);

		fprintf(f, "%s %d:", names[i], err);
		kmod_list_foreach(l, list) {
			struct kmod_module *mod = kmod_module_get_module(l);
			struct kmod_list *deps = kmod_module_get_dependencies(mod), *d, *info = NULL;
			struct kmod_list *pre = NULL, *post = NULL;

			fprintf(f, " %s[%s]{", kmod_module_get_name(mod), kmod_module_get_options(mod) ?: "");
			kmod_list_foreach(d, deps) {
				struct kmod_module *dep = kmod_module_get_module(d);
				fprintf(f, " %s", kmod_module_get_name(dep));
				kmod_module_unref(dep);
			}
			kmod_module_get_softdeps(mod, &pre, &post);
			fprintf(f, "} info %d", kmod_module_get_info(mod, &info));
			kmod_module_info_free_list(info);
			kmod_module_unref_list(pre);
			kmod_module_unref_list(post);
			kmod_module_unref_list(deps);
			kmod_module_unref(mod);
		}
		kmod_module_unref_list(list);
		fputc('\n', f);
	}
	fclose(f);
	return out;
}

static void *worker(void *expected)
{
	for (int r = 0; r < rounds; r++) {
		char *got = pass();
		int same = strcmp(got, expected) == 0;
		free(got);
		if (!same)
			return (void *)1;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	char line[4096];
	FILE *in;
	int n_threads, failed = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: %s MODULE_DIR NAMES_FILE THREADS ROUNDS\n", argv[0]);
		return 2;
	}
	ctx = kmod_new(argv[1], NULL);
	in = fopen(argv[2], "re");
	if (ctx == NULL || in == NULL)
		return 2;
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = '\0';
		names = realloc(names, sizeof(*names) * (n_names + 1));
		names[n_names++] = strdup(line);
	}
	fclose(in);
	n_threads = atoi(argv[3]);
	rounds = atoi(argv[4]);

	char *expected = pass();
	pthread_t threads[64];
	for (int t = 0; t < n_threads && t < 64; t++)
		pthread_create(&threads[t], NULL, worker, expected);
	for (int t = 0; t < n_threads && t < 64; t++) {
		void *result;
		pthread_join(threads[t], &result);
		failed |= result != NULL;
	}
	printf("threads: %s (%d threads x %d rounds over %d names)\n", failed ? "DIFFERENT" : "same", n_threads,
	       rounds, n_names);
	free(expected);
	kmod_unref(ctx);
	return failed;
}
