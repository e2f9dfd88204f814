/* err.c — messages and names of enum ssa_err. */
#include "ssa/err.h"

#define MSG_(name, msg) [SSA_ERR_##name] = msg,
#define NAME_(name, msg) [SSA_ERR_##name] = #name,
static const char *const messages[] = { SSA_ERR_ALL(MSG_) };
static const char *const names[] = { SSA_ERR_ALL(NAME_) };

const char *
ssa_strerror(enum ssa_err err)
{
	if ((unsigned)err >= SSA_ERR__COUNT)
		return "unknown error";
	return messages[err];
}

const char *
ssa_errname(enum ssa_err err)
{
	if ((unsigned)err >= SSA_ERR__COUNT)
		return "UNKNOWN";
	return names[err];
}
