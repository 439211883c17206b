//! The preprocessing of Trask's `reviews.txt` (Udacity sentiment network), regenerated from
//! the raw Maas et al. reviews.
//!
//! # What is known
//!
//! `reviews.txt` has one line per review of the Maas train set, in the order of
//! `labels.txt`, and is 33,678,267 bytes long (the size Trask's notebook downloads). Its
//! first two lines are printed in full in public notebooks, ten more as 80-character
//! prefixes, and the Udacity solution notebook prints the counts of the most frequent
//! `split(" ")` tokens and the number of distinct ones (74,074). From those lines:
//!
//! * the text is lowercased; maximal runs of letters are tokens;
//! * every `.` is a token of its own (`"recalled ......... at"` gives
//!   `"recalled . . . . . . . . . at"`);
//! * most other characters that are not whitespace each become one *empty* token: `,` `'`
//!   `"` `(` `)` `-` `&` `!` `/` `<` `>` and digits (`"school life, such as \"Teachers\"."`
//!   gives `"school life  such as  teachers  ."`, `"my 35 years"` gives `"my   years"`,
//!   `"<br /><br />But"` gives `" br    br   but"`);
//! * `:` disappears without leaving a token (`"line: INSPECTOR: I'm"` gives
//!   `"line inspector i  m"`);
//! * whitespace only separates tokens; tokens are joined by single spaces;
//! * every line ends with two extra spaces (`"... briefly .  "`).
//!
//! # What is guessed
//!
//! Letters are Unicode letters (Python 3's `str.isalpha`, approximated by
//! [`char::is_alphabetic`]), so `"café"` stays one token. Characters not seen in the
//! published lines (`?` `;` `*` `` ` `` and the rest) are treated like `,`. With these
//! choices every published line is reproduced exactly and the `.` counts of the Udacity
//! notebook match exactly, but the regenerated file has about 1.5 % more empty tokens than
//! the original and a few hundred fewer distinct tokens, so at least one rule for the
//! unseen characters differs. Empty tokens and `.` never enter the network's vocabulary
//! (their polarity is near zero), so this affects the vocabulary only through the rare
//! words such characters split or join.

/// The line of Trask's `reviews.txt` for one raw review.
pub fn trask_line(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + raw.len() / 8 + 2);
    let mut tokens = 0usize;
    let mut in_word = false;
    // Starts a new token: a separating space unless it is the first.
    let start = |out: &mut String, tokens: &mut usize| {
        if *tokens > 0 {
            out.push(' ');
        }
        *tokens += 1;
    };
    for ch in raw.chars() {
        if ch.is_alphabetic() {
            if !in_word {
                start(&mut out, &mut tokens);
                in_word = true;
            }
            out.extend(ch.to_lowercase());
            continue;
        }
        in_word = false;
        if ch.is_whitespace() || ch == ':' {
            continue;
        }
        start(&mut out, &mut tokens);
        if ch == '.' {
            out.push('.');
        }
    }
    out.push_str("  ");
    out
}

/// The words the network sees in a line: Python's `line.split(" ")`, empty strings
/// included.
pub fn trask_words(line: &str) -> impl Iterator<Item = &str> {
    line.split(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW0: &str = "Bromwell High is a cartoon comedy. It ran at the same time as some other programs about school life, such as \"Teachers\". My 35 years in the teaching profession lead me to believe that Bromwell High's satire is much closer to reality than is \"Teachers\". The scramble to survive financially, the insightful students who can see right through their pathetic teachers' pomp, the pettiness of the whole situation, all remind me of the schools I knew and their students. When I saw the episode in which a student repeatedly tried to burn down the school, I immediately recalled ......... at .......... High. A classic line: INSPECTOR: I'm here to sack one of your teachers. STUDENT: Welcome to Bromwell High. I expect that many adults of my age think that Bromwell High is far fetched. What a pity that it isn't!";
    const LINE0: &str = "bromwell high is a cartoon comedy . it ran at the same time as some other programs about school life  such as  teachers  . my   years in the teaching profession lead me to believe that bromwell high  s satire is much closer to reality than is  teachers  . the scramble to survive financially  the insightful students who can see right through their pathetic teachers  pomp  the pettiness of the whole situation  all remind me of the schools i knew and their students . when i saw the episode in which a student repeatedly tried to burn down the school  i immediately recalled . . . . . . . . . at . . . . . . . . . . high . a classic line inspector i  m here to sack one of your teachers . student welcome to bromwell high . i expect that many adults of my age think that bromwell high is far fetched . what a pity that it isn  t   ";
    const RAW1: &str = "Story of a man who has unnatural feelings for a pig. Starts out with a opening scene that is a terrific example of absurd comedy. A formal orchestra audience is turned into an insane, violent mob by the crazy chantings of it's singers. Unfortunately it stays absurd the WHOLE time with no general narrative eventually making it just too off putting. Even those from the era should be turned off. The cryptic dialogue would make Shakespeare seem easy to a third grader. On a technical level it's better than you might think with some good cinematography by future great Vilmos Zsigmond. Future stars Sally Kirkland and Frederic Forrest can be seen briefly.";
    const LINE1: &str = "story of a man who has unnatural feelings for a pig . starts out with a opening scene that is a terrific example of absurd comedy . a formal orchestra audience is turned into an insane  violent mob by the crazy chantings of it  s singers . unfortunately it stays absurd the whole time with no general narrative eventually making it just too off putting . even those from the era should be turned off . the cryptic dialogue would make shakespeare seem easy to a third grader . on a technical level it  s better than you might think with some good cinematography by future great vilmos zsigmond . future stars sally kirkland and frederic forrest can be seen briefly .  ";

    #[test]
    fn first_two_lines_of_reviews_txt() {
        assert_eq!(trask_line(RAW0), LINE0);
        assert_eq!(trask_line(RAW1), LINE1);
    }

    #[test]
    fn published_prefixes() {
        // 80- or 90-character prefixes printed in public notebooks (raw text from the Maas
        // train files that Trask's order puts at these lines).
        let cases = [
            (
                "Homelessness (or Houselessness as George Carlin stated) has been an issue for years",
                "homelessness  or houselessness as george carlin stated  has been an issue for ye",
            ),
            (
                "Airport '77 starts as a brand new luxury 747 plane is loaded up with valuable paintings & such",
                "airport    starts as a brand new luxury    plane is loaded up with valuable paintings  suc",
            ),
            (
                "Brilliant over-acting by Lesley Ann Warren. Best dramatic hobo lady I have ever seen",
                "brilliant over  acting by lesley ann warren . best dramatic hobo lady i have eve",
            ),
            (
                "This film lacked something I couldn't put my finger on at first: charisma on the part",
                "this film lacked something i couldn  t put my finger on at first charisma on the",
            ),
            (
                "This is easily the most underrated film inn the Brooks cannon. Sure, its flawed.",
                "this is easily the most underrated film inn the brooks cannon . sure  its flawed",
            ),
            (
                "Sorry everyone,,, I know this is supposed to be an \"art\" film,, but wow, they should",
                "sorry everyone    i know this is supposed to be an  art  film   but wow  they sh",
            ),
            (
                "Excellent episode movie ala Pulp Fiction. 7 days - 7 suicides. It doesnt get more depressing",
                "excellent episode movie ala pulp fiction .  days   suicides . it doesnt get more",
            ),
            (
                "This Schiffer guy is a real genius! The movie is of excellent quality and both entertaining",
                "this schiffer guy is a real genius  the movie is of excellent quality and both e",
            ),
            (
                "the streets.<br /><br />But what if you",
                "the streets .  br    br   but what if you",
            ),
        ];
        for (raw, want) in cases {
            let got = trask_line(raw);
            assert!(
                got.starts_with(want),
                "{raw:?}\n got {got:?}\nwant {want:?}"
            );
        }
    }

    #[test]
    fn words_keep_empty_tokens() {
        let line = trask_line("Hi, you.");
        assert_eq!(line, "hi  you .  ");
        let words: Vec<&str> = trask_words(&line).collect();
        assert_eq!(words, ["hi", "", "you", ".", "", ""]);
        assert_eq!(trask_line(""), "  ");
        assert_eq!(trask_line("Café"), "café  ");
    }
}
