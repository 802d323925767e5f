"""Every IRI the project mints or uses, in one place.

``DKG`` (the ontology) and ``DKV`` (the SKOS vocabularies) are closed: a typo such as
``DKG.vistor`` raises instead of minting a new IRI. ``tests/test_namespaces.py`` keeps these
term lists and ``ontology/*.ttl`` in sync both ways.
"""

from __future__ import annotations

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import (
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SDO,
    SH,
    SKOS,
    TIME,
    VANN,
    XSD,
    DefinedNamespace,
)

ONTOLOGY_IRI = URIRef("https://w3id.org/diplo-kg/ontology")
VOCAB_IRI = URIRef("https://w3id.org/diplo-kg/vocab/")
#: minted resources: actors, events, proposals, claims, articles, named graphs
DKR = Namespace("https://w3id.org/diplo-kg/id/")
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
GRASP = Namespace("http://groundedannotationframework.org/grasp#")
WD = Namespace("http://www.wikidata.org/entity/")
SCHEMA = SDO  # https://schema.org/ (rdflib binds the http: variant as "schema" by default)

#: named graphs of the dataset
GRAPH_ONTOLOGY = DKR["graph/ontology"]
GRAPH_ENTITIES = DKR["graph/entities"]


def article_graph(article_id: str) -> URIRef:
    """The named graph holding what one article contributes."""
    return DKR[f"graph/article/{article_id}"]


#: who annotated and who reviewed: the prov:Person and prov:SoftwareAgent of every article
GRAPH_AGENTS = DKR["graph/agents"]


def draft_graph(article_id: str) -> URIRef:
    """The named graph of a draft article built with ``kg build --drafts`` (not yet in data/)."""
    return DKR[f"graph/draft/{article_id}"]


class DKG(DefinedNamespace):
    """The diplo-kg ontology (``ontology/diplo.ttl``)."""

    _NS = Namespace("https://w3id.org/diplo-kg/ontology#")
    _fail = True

    Actor: URIRef
    Agreement: URIRef
    AnnotationActivity: URIRef
    ArmsDeal: URIRef
    Arrival: URIRef
    BilateralRelation: URIRef
    Ceremony: URIRef
    Claim: URIRef
    Delegation: URIRef
    DelegationMembership: URIRef
    Delivery: URIRef
    Departure: URIRef
    DiplomaticRecognition: URIRef
    Event: URIRef
    ExchangeProposal: URIRef
    GovernmentBody: URIRef
    Group: URIRef
    InternationalSupport: URIRef
    JointMilitaryExercise: URIRef
    Journalist: URIRef
    MediaCoverage: URIRef
    Meeting: URIRef
    MilitaryOfficial: URIRef
    Minister: URIRef
    Negotiation: URIRef
    Office: URIRef
    Organization: URIRef
    Person: URIRef
    Place: URIRef
    PoliticalLeader: URIRef
    ProposalLeg: URIRef
    PublicStatement: URIRef
    Request: URIRef
    ReviewActivity: URIRef
    Sanction: URIRef
    SatelliteLaunchAttempt: URIRef
    Spokesperson: URIRef
    State: URIRef
    StateMedia: URIRef
    Summit: URIRef
    TroopReview: URIRef
    Visit: URIRef
    Welcome: URIRef
    about: URIRef
    accordingTo: URIRef
    assertedBy: URIRef
    certainty: URIRef
    concerns: URIRef
    context: URIRef
    controlledBy: URIRef
    conveys: URIRef
    count: URIRef
    date: URIRef
    destination: URIRef
    eventStatus: URIRef
    eventType: URIRef
    evidentialBasis: URIRef
    extractorConfidence: URIRef
    floatedBy: URIRef
    giver: URIRef
    goldsteinScore: URIRef
    goods: URIRef
    hasEvidence: URIRef
    hasLeg: URIRef
    hasPlace: URIRef
    hasSubEvent: URIRef
    hedgeCue: URIRef
    heldBy: URIRef
    holdsOffice: URIRef
    host: URIRef
    inArticle: URIRef
    inSentence: URIRef
    initiator: URIRef
    locatedIn: URIRef
    meansOfTransport: URIRef
    member: URIRef
    membershipRole: URIRef
    nextInSeries: URIRef
    ofDelegation: URIRef
    officeOf: URIRef
    officeType: URIRef
    origin: URIRef
    outcome: URIRef
    outcomeOf: URIRef
    participant: URIRef
    party: URIRef
    ploverMode: URIRef
    polarity: URIRef
    previousInSeries: URIRef
    proposalStatus: URIRef
    recipient: URIRef
    recurring: URIRef
    represents: URIRef
    reviewState: URIRef
    sentenceIndex: URIRef
    seriesOrdinal: URIRef
    sourceType: URIRef
    spokespersonFor: URIRef
    subEventOf: URIRef
    target: URIRef
    temporality: URIRef
    topicText: URIRef
    unknownValueFor: URIRef
    valuesFrom: URIRef
    visitor: URIRef


class DKV(DefinedNamespace):
    """The diplo-kg SKOS vocabularies (``ontology/vocab.ttl``); use ``DKV["certainty-possible"]``."""

    _NS = Namespace("https://w3id.org/diplo-kg/vocab/")
    _fail = True
    _extras = [
        "cameo",
        "cameo-010",
        "cameo-011",
        "cameo-0231",
        "cameo-0232",
        "cameo-0233",
        "cameo-0234",
        "cameo-0312",
        "cameo-0331",
        "cameo-0332",
        "cameo-0333",
        "cameo-036",
        "cameo-042",
        "cameo-043",
        "cameo-044",
        "cameo-046",
        "cameo-051",
        "cameo-054",
        "cameo-057",
        "cameo-061",
        "cameo-062",
        "cameo-071",
        "cameo-072",
        "cameo-073",
        "cameo-163",
        "certainty",
        "certainty-certain",
        "certainty-possible",
        "certainty-probable",
        "certainty-unknown",
        "context",
        "context-diplomatic",
        "context-economic",
        "context-humanitarian",
        "context-military",
        "context-security",
        "context-technology",
        "event-status",
        "event-status-cancelled",
        "event-status-held",
        "event-status-hypothetical",
        "event-status-ongoing",
        "event-status-planned",
        "evidence",
        "evidence-direct-report",
        "evidence-foreign-intelligence",
        "evidence-imagery-inference",
        "evidence-journalist-speculation",
        "evidence-reported-speech",
        "evidence-state-media-staging",
        "goods",
        "goods-arms",
        "goods-food-aid",
        "goods-munitions",
        "goods-naval-technology",
        "goods-nuclear-submarine-technology",
        "goods-satellite-launch-assistance",
        "goods-space-technology",
        "outcome",
        "outcome-failure",
        "outcome-success",
        "plover",
        "plover-agree",
        "plover-aid",
        "plover-coerce",
        "plover-consult",
        "plover-cooperate",
        "plover-request",
        "plover-support",
        "polarity",
        "polarity-negative",
        "polarity-positive",
        "proposal-status",
        "proposal-status-agreed",
        "proposal-status-delivered",
        "proposal-status-denied",
        "proposal-status-negotiated",
        "proposal-status-offered",
        "proposal-status-requested",
        "proposal-status-speculated",
        "review-state",
        "review-state-drafted",
        "review-state-rejected",
        "review-state-reviewed",
        "role",
        "role-foreign-minister",
        "role-head-of-state",
        "role-military-official",
        "role-spokesperson",
        "source-type",
        "source-type-foreign-government",
        "source-type-government",
        "source-type-journalist",
        "source-type-official-spokesperson",
        "source-type-state-media",
        "temporality",
        "temporality-future",
        "temporality-past",
        "temporality-present",
    ]


PREFIXES: dict[str, Namespace] = {
    "dkg": DKG._NS,
    "dkv": DKV._NS,
    "dkr": DKR,
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "owl": Namespace(str(OWL)),
    "xsd": Namespace(str(XSD)),
    "skos": Namespace(str(SKOS)),
    "dcterms": Namespace(str(DCTERMS)),
    "prov": Namespace(str(PROV)),
    "sem": SEM,
    "schema": Namespace(str(SDO)),
    "foaf": Namespace(str(FOAF)),
    "org": Namespace(str(ORG)),
    "nif": NIF,
    "time": Namespace(str(TIME)),
    "sh": Namespace(str(SH)),
    "vann": Namespace(str(VANN)),
    "grasp": GRASP,
    "wd": WD,
}


def bind_prefixes(graph: Graph) -> Graph:
    """Bind our prefixes (replacing rdflib's defaults, e.g. its http: ``schema``)."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


def sparql_prologue() -> str:
    """PREFIX declarations for ad-hoc queries (``kg query -e``)."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
