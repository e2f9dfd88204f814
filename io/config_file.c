/* config_file.c — read a configuration file for config_parse() (see ssa/config.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ssa/config.h"

#define CONFIG_FILE_MAX (1024 * 1024)

size_t
config_default_path(const char *program, char *buf, size_t size)
{
	int n = snprintf(buf, size, "/etc/ssa-pos/%s.ini", program);
	return n < 0 ? 0 : (size_t)n;
}

enum ssa_err
config_load_file(const struct config_key *schema, const char *path, void *cfg,
                 struct config_error *err)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	ssize_t r;
	int fd = -1;
	enum ssa_err e = SSA_ERR_IO;

	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", path);
	err->err = SSA_ERR_IO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err->msg, sizeof(err->msg), "cannot read: not a regular file");
		goto out;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		snprintf(err->msg, sizeof(err->msg), "file larger than %d bytes", CONFIG_FILE_MAX);
		goto out;
	}
	data = malloc((size_t)st.st_size + 1);
	if (data == NULL) {
		e = err->err = SSA_ERR_NOMEM;
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		goto out;
	}
	/* Read to the end even if the file grew since fstat(), up to the limit. */
	for (;;) {
		if (len == (size_t)st.st_size + 1) {
			snprintf(err->msg, sizeof(err->msg), "file changed while being read");
			goto out;
		}
		r = read(fd, data + len, (size_t)st.st_size + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	e = config_parse(schema, path, data, len, cfg, err);
out:
	if (fd >= 0)
		close(fd);
	free(data);
	return e;
}
