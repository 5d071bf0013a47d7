/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Lookup load of a libkmod client, for libkmod-bench.sh: every name of
 * NAMES_FILE looked up with kmod_module_new_from_lookup() and each module's
 * path and dependencies read, as dracut-install and udev do, with the
 * indexes opened per lookup (no kmod_load_resources(), as dracut-install)
 * or loaded once ("--load"). Prints the number of modules found.
 *
 * Usage: libkmod-lookups MODULE_DIR NAMES_FILE [--load]
 */
#include <libkmod.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	char line[4096];
	long found = 0;
	struct kmod_ctx *ctx;
	FILE *in;

	if (argc < 3)
		return 2;
	ctx = kmod_new(argv[1], NULL);
	in = fopen(argv[2], "re");
	if (ctx == NULL || in == NULL)
		return 2;
	if (argc > 3 && strcmp(argv[3], "--load") == 0 && kmod_load_resources(ctx) < 0)
		return 1;
	while (fgets(line, sizeof(line), in)) {
		struct kmod_list *list = NULL, *l;
		line[strcspn(line, "\n")] = '\0';
		if (kmod_module_new_from_lookup(ctx, line, &list) < 0)
			continue;
		kmod_list_foreach(l, list) {
			struct kmod_module *mod = kmod_module_get_module(l);
			struct kmod_list *deps = kmod_module_get_dependencies(mod);
			found += kmod_module_get_path(mod) != NULL;
			kmod_module_unref_list(deps);
			kmod_module_unref(mod);
		}
		kmod_module_unref_list(list);
	}
	fclose(in);
	kmod_unref(ctx);
	printf("%ld\n", found);
	return 0;
}
