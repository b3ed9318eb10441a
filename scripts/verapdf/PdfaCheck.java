// Validates PDF files against a PDF/A flavour with veraPDF's greenfield parser and prints one
// JSON line per file: {"file": ..., "compliant": ..., "failures": ["CLAUSE-TEST: MESSAGE [WHERE]", ...]}.
// Usage: java -cp 'lib/*:classes' PdfaCheck FLAVOUR FILE...   (FLAVOUR: 2b, 3b, ...)
// Exit status: 0 when every file is compliant, 1 when one is not, 2 on a usage error.
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.verapdf.gf.foundry.VeraGreenfieldFoundryProvider;
import org.verapdf.pdfa.Foundries;
import org.verapdf.pdfa.PDFAParser;
import org.verapdf.pdfa.PDFAValidator;
import org.verapdf.pdfa.flavours.PDFAFlavour;
import org.verapdf.pdfa.results.TestAssertion;
import org.verapdf.pdfa.results.ValidationResult;

public final class PdfaCheck {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: PdfaCheck FLAVOUR FILE...");
            System.exit(2);
        }
        VeraGreenfieldFoundryProvider.initialise();
        PDFAFlavour flavour = PDFAFlavour.fromString(args[0]);
        boolean allCompliant = true;
        for (int i = 1; i < args.length; i++) {
            File file = new File(args[i]);
            boolean compliant;
            Set<String> failures = new TreeSet<>();
            try (PDFAParser parser = Foundries.defaultInstance().createParser(file, flavour);
                 PDFAValidator validator = Foundries.defaultInstance().createValidator(flavour, false)) {
                ValidationResult result = validator.validate(parser);
                compliant = result.isCompliant();
                for (TestAssertion assertion : result.getTestAssertions()) {
                    if (assertion.getStatus() == TestAssertion.Status.FAILED) {
                        failures.add(assertion.getRuleId().getClause() + "-"
                                + assertion.getRuleId().getTestNumber() + ": " + assertion.getMessage()
                                + " [" + assertion.getLocation().getContext() + "]");
                    }
                }
            } catch (Exception exc) {
                compliant = false;
                failures.add("cannot validate: " + exc);
            }
            allCompliant &= compliant;
            List<String> quoted = new ArrayList<>();
            for (String failure : failures) {
                quoted.add(json(failure));
            }
            System.out.println("{\"file\": " + json(file.getPath()) + ", \"compliant\": " + compliant
                    + ", \"failures\": [" + String.join(", ", quoted) + "]}");
        }
        System.exit(allCompliant ? 0 : 1);
    }

    private static String json(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
