{
  "targets": [
    {
      "target_name": "tapedeck_capture",
      "sources": [
        "agent/capture/native/addon.c",
        "agent/capture/native/capture.c",
        "agent/capture/native/napi-util.c"
      ],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
      "libraries": ["-lpcap", "-lpthread"]
    }
  ]
}
