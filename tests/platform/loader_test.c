// Loads a cross-built libkopnative.so the way a JVM of its platform would
// (dlopen with RTLD_NOW, so every undefined symbol must bind against that
// platform's C library at once), resolves JNI_OnLoad, JNI_OnUnload and the
// native methods named on the command line, and calls the entry points that
// need no JNIEnv, checking their answers. Built with `zig cc -target <triple>`
// and run under the platform's own loader (tests/platform/run), so it proves
// the library loads there; it does not drive the core through Kafka frames: the
// bridge has no test entry point that works without a JVM (issue 15's next
// slice).
//
//   loader_test <libkopnative.so> <method>...   method: a NativeBridge native,
//   e.g. nativeTick
//
// Deliberately free of jni.h: the JNI types used here are fixed by the JNI
// specification on every Linux ABI (jint int32_t, jlong int64_t, pointers for
// JNIEnv* and jclass).
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*SetLogLevelFn)(void* env, void* cls, int32_t level);
typedef int32_t (*OnHandleFn)(void* env, void* cls, int64_t handle);
typedef int32_t (*OnFrameFn)(void* env, void* cls, int64_t conn,
                             int64_t address, int32_t length);
typedef void (*OnHandleVoidFn)(void* env, void* cls, int64_t handle);

enum { kErrBadHandle = -1 };  // jni-bridge/src/entry_guard.h

static int failures = 0;

static void* Resolve(void* lib, const char* name) {
  dlerror();
  void* sym = dlsym(lib, name);
  if (sym == NULL) {
    const char* err = dlerror();
    printf("FAIL dlsym %s: %s\n", name, err ? err : "null");
    ++failures;
  }
  return sym;
}

static void* ResolveNative(void* lib, const char* method) {
  char name[256];
  snprintf(name, sizeof name, "Java_io_kopnative_NativeBridge_%s", method);
  return Resolve(lib, name);
}

static void Expect(const char* what, int32_t got, int32_t want) {
  if (got == want) {
    printf("ok   %s -> %d\n", what, got);
  } else {
    printf("FAIL %s -> %d, want %d\n", what, got, want);
    ++failures;
  }
}

// Which C library runs this process: the first line of /proc/self/maps naming
// musl's libc (its loader too) or glibc's loader, so the log shows the test did
// not run under the build machine's glibc by accident.
static void PrintLoader(void) {
  FILE* maps = fopen("/proc/self/maps", "r");
  char line[512];
  if (maps == NULL) return;
  while (fgets(line, sizeof line, maps) != NULL) {
    const char* path = strchr(line, '/');
    const char* base = path == NULL ? NULL : strrchr(path, '/');
    if (base != NULL &&
        (strncmp(base, "/libc.", 6) == 0 || strncmp(base, "/ld-", 4) == 0)) {
      printf("loader: %s", path);
      break;
    }
  }
  fclose(maps);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <libkopnative.so> <native method>...\n",
            argv[0]);
    return 2;
  }
  PrintLoader();
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    printf("FAIL dlopen %s: %s\n", argv[1], dlerror());
    return 1;
  }
  printf("ok   dlopen %s\n", argv[1]);

  Resolve(lib, "JNI_OnLoad");
  Resolve(lib, "JNI_OnUnload");
  int resolved = 0;
  for (int i = 2; i < argc; ++i) {
    if (ResolveNative(lib, argv[i]) != NULL) ++resolved;
  }
  printf("%s  resolved JNI_OnLoad, JNI_OnUnload and %d of %d native methods\n",
         resolved == argc - 2 ? "ok " : "FAIL", resolved, argc - 2);

  // Entry points that never touch the JNIEnv: a null handle is refused with
  // kErrBadHandle inside the bridge's guard (entry_guard.h), which runs the C++
  // runtime's static initialisers, locks and exception-handling frames that the
  // library carries itself.
  SetLogLevelFn set_log_level =
      (SetLogLevelFn)ResolveNative(lib, "nativeSetLogLevel");
  OnHandleFn tick = (OnHandleFn)ResolveNative(lib, "nativeTick");
  OnHandleFn run_posted = (OnHandleFn)ResolveNative(lib, "nativeRunPosted");
  OnFrameFn on_frame = (OnFrameFn)ResolveNative(lib, "nativeOnFrame");
  OnHandleVoidFn close_connection =
      (OnHandleVoidFn)ResolveNative(lib, "nativeCloseConnection");
  OnHandleVoidFn destroy_broker =
      (OnHandleVoidFn)ResolveNative(lib, "nativeDestroyBroker");
  if (set_log_level && tick && run_posted && on_frame && close_connection &&
      destroy_broker) {
    set_log_level(NULL, NULL, 2);
    printf("ok   nativeSetLogLevel(2)\n");
    Expect("nativeTick(0)", tick(NULL, NULL, 0), kErrBadHandle);
    Expect("nativeRunPosted(0)", run_posted(NULL, NULL, 0), kErrBadHandle);
    Expect("nativeOnFrame(0, 0, 0)", on_frame(NULL, NULL, 0, 0, 0),
           kErrBadHandle);
    close_connection(NULL, NULL, 0);
    printf("ok   nativeCloseConnection(0)\n");
    destroy_broker(NULL, NULL, 0);
    printf("ok   nativeDestroyBroker(0)\n");
  }

  if (dlclose(lib) != 0) {
    printf("FAIL dlclose: %s\n", dlerror());
    ++failures;
  }
  printf("%s\n", failures == 0 ? "PASS" : "FAIL");
  return failures == 0 ? 0 : 1;
}
