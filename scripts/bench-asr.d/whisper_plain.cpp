// Plain whisper.cpp transcription of one 16 kHz mono f32le file, the way whisper-cli does it
// (same library, same model, beam search 5 unless --fast), for scripts/bench-asr.
// Usage: whisper_plain MODEL PCM_F32LE LANG THREADS [--fast]
#include "whisper.h"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

int main(int argc, char ** argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s MODEL PCM_F32LE LANG THREADS [--fast]\n", argv[0]);
        return 1;
    }
    FILE * f = fopen(argv[2], "rb");
    if (!f) { perror(argv[2]); return 1; }
    std::vector<float> pcm;
    float buf[4096];
    size_t n;
    while ((n = fread(buf, sizeof(float), 4096, f)) > 0) pcm.insert(pcm.end(), buf, buf + n);
    fclose(f);
    whisper_context * ctx = whisper_init_from_file_with_params(argv[1], whisper_context_default_params());
    if (!ctx) return 2;
    bool fast = argc > 5 && strcmp(argv[5], "--fast") == 0;
    whisper_full_params p = whisper_full_default_params(fast ? WHISPER_SAMPLING_GREEDY : WHISPER_SAMPLING_BEAM_SEARCH);
    p.beam_search.beam_size = 5;
    p.greedy.best_of = 1;
    p.language = argv[3];
    p.n_threads = atoi(argv[4]);
    p.print_progress = false;
    if (whisper_full(ctx, p, pcm.data(), (int) pcm.size()) != 0) return 3;
    for (int i = 0; i < whisper_full_n_segments(ctx); ++i) printf("%s\n", whisper_full_get_segment_text(ctx, i));
    whisper_free(ctx);
    return 0;
}
