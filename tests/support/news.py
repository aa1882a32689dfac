"""Dated articles for the digest's tests (retrieval and Discord): two reports of one story, a day
apart, and an unrelated one. Each is a Markdown file with its title and publication day."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    doc_id: str
    title: str
    body: str

    def markdown(self, published: str) -> bytes:
        return f"---\ntitle: {self.title}\npublished: {published}\n---\n{self.body}\n".encode()


BRIDGE_CLOSED = Article(
    "bridge-closed",
    "Valdora closes the Marrow Bridge after cracks are found",
    "The city of Valdora closed the Marrow Bridge to all traffic on Tuesday after engineers found deep cracks "
    "in two of its steel supports. Mayor Ilse Korvath said the bridge would stay shut until the inspection "
    "was complete. Commuters were told to use the ferry across the Lenn river while the bridge is closed. "
    "The chief engineer, Pavel Arnaud, said the cracks had grown since the last inspection in the spring. "
    "Buses that crossed the Marrow Bridge were rerouted over the northern ring road.",
)
BRIDGE_REPAIRS = Article(
    "bridge-repairs",
    "Marrow Bridge repairs will take three months, Valdora says",
    "Repairs to the cracked Marrow Bridge in Valdora will take three months, the city council said on "
    "Wednesday. Engineers will replace the two steel supports in which cracks were found during the "
    "inspection. Mayor Ilse Korvath said the ferry across the Lenn river would run every ten minutes until "
    "the bridge reopens to traffic. The council set aside four million euros for the repairs to the bridge.",
)
CHEESE_FAIR = Article(
    "cheese-fair",
    "Record crowds at the Osterby cheese fair",
    "More than forty thousand visitors came to the Osterby cheese fair this weekend, a record for the "
    "village festival. Farmers from twelve regions sold aged mountain cheeses and fresh goat cheese from "
    "their stalls. The prize for the best cheese of the year went to a blue cheese made by the Hallig dairy. "
    "The organisers said the fair would add a second market hall next summer to hold the crowds.",
)
