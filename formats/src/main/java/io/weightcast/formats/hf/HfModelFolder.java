package io.weightcast.formats.hf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The side files of a Hugging Face checkpoint folder: {@code config.json}, {@code tokenizer.json},
 * {@code tokenizer_config.json}, {@code tokenizer.model}. The folder is the input itself when it is a folder,
 * else the folder holding the given safetensors file or index.
 */
public record HfModelFolder(Path dir) {

    public static Optional<HfModelFolder> of(Path input) {
        Path p = input.toAbsolutePath().normalize();
        Path dir = Files.isDirectory(p) ? p : p.getParent();
        return dir == null ? Optional.empty() : Optional.of(new HfModelFolder(dir));
    }

    public Optional<Path> file(String name) {
        Path f = dir.resolve(name);
        return Files.isRegularFile(f) ? Optional.of(f) : Optional.empty();
    }

    public Optional<HfConfig> config() throws IOException {
        Optional<Path> f = file("config.json");
        return f.isPresent() ? Optional.of(HfConfig.read(f.get())) : Optional.empty();
    }

    public Optional<HfTokenizerJson> tokenizerJson() throws IOException {
        Optional<Path> f = file("tokenizer.json");
        return f.isPresent() ? Optional.of(HfTokenizerJson.read(f.get())) : Optional.empty();
    }

    public HfTokenizerConfig tokenizerConfig() throws IOException {
        Optional<Path> f = file("tokenizer_config.json");
        return f.isPresent() ? HfTokenizerConfig.read(f.get()) : HfTokenizerConfig.empty();
    }

    public Optional<SentencePieceModel> sentencePiece() throws IOException {
        Optional<Path> f = file("tokenizer.model");
        return f.isPresent() ? Optional.of(SentencePieceModel.read(f.get())) : Optional.empty();
    }

    public boolean hasTokenizer() {
        return file("tokenizer.json").isPresent() || file("tokenizer.model").isPresent();
    }
}
