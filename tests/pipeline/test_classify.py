"""The classifier: quality on the held-out labelled set, and the behaviours the rules promise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.classify import FOREIGN, Classifier
from pipeline.evaluation import evaluate, load_classifier, load_part
from pipeline.morphology import compound, key
from tenderwatch.config import Config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return load_classifier()


def areas(classifier: Classifier, title: str, description: str | None = None, cpv: list[str] | None = None) -> set[str]:
    return {a.id for a in classifier.classify(title, description, cpv or [], None)}


def areas_in(classifier: Classifier, title: str, language: str | None) -> set[str]:
    return {a.id for a in classifier.classify(title, None, [], language)}


def test_quality_bar_on_the_real_test_part(classifier: Classifier) -> None:
    """The issue's bar, on real notices the rules were never tuned on (aggregates only: no item is
    printed, even on failure)."""
    test = load_part("test")
    if not test:
        pytest.skip("tests/data/real_test.jsonl is not there yet")
    result = evaluate(classifier, test)
    micro, macro = round(result.micro_f1, 3), round(result.macro_f1, 3)
    # Measured 2026-12-05 on 650 notices: micro-F1 0.764, macro-F1 0.729 (the 582 before stage 8: 0.781 /
    # 0.740, 0.780 / 0.740 before the last rule round; the 68 stage-8 notices, technical TED notices chosen
    # by CPV code and never tuned on: 0.613 / 0.386). Issue 14's targets (micro >= 0.90, macro >= 0.85)
    # are NOT reached; these floors guard what is.
    assert micro >= 0.757, f"micro-F1 {micro}"
    assert macro >= 0.722, f"macro-F1 {macro}"


def test_quality_on_the_written_set(classifier: Classifier) -> None:
    """The older set the project wrote itself (labelled before LABELLING.md: kept as a separate part)."""
    test = load_part("written-test")
    assert len(test) + len(load_part("written-dev")) >= 200
    result = evaluate(classifier, test)
    micro, macro = round(result.micro_f1, 3), round(result.macro_f1, 3)
    assert micro >= 0.87, f"micro-F1 {micro}"
    assert macro >= 0.85, f"macro-F1 {macro}"


def test_dev_and_test_parts_do_not_overlap() -> None:
    for dev_part, test_part in (("dev", "test"), ("written-dev", "written-test")):
        dev = {n["id"] for n in load_part(dev_part)}
        test = {n["id"] for n in load_part(test_part)}
        assert not dev & test


@pytest.mark.parametrize(("title", "language", "expected"), [
    ("Supply of superconducting magnets", "en", "magnets"),
    ("Fourniture d'aimants supraconducteurs", "fr", "magnets"),
    ("Lieferung supraleitender Magnete", "de", "magnets"),
    ("Levering van supergeleidende magneten", "nl", "magnets"),
    ("Fornitura di magneti superconduttori", "it", "magnets"),
    ("Suministro de imanes superconductores", "es", "magnets"),
    ("Lieferung eines Kryostaten", "de", "cryogenics"),
    ("Turbomolekularpumpen für das Strahlrohr", "de", "vacuum"),
])
def test_languages_and_inflections(classifier: Classifier, title: str, language: str, expected: str) -> None:
    result = classifier.classify(title, None, [], language)
    assert expected in {a.id for a in result}, result


def test_evidence_names_field_and_word(classifier: Classifier) -> None:
    result = {a.id: a for a in classifier.classify("Supply of superconducting coils", None, ["31643000"], "en")}
    assert "title:coils" in result["magnets"].evidence
    assert "accelerator" not in result  # a loosely used CPV code yields to what the title names
    coded = {a.id: a for a in classifier.classify("Lot 3", None, ["31643000"], "en")}
    assert coded["accelerator"].evidence == ["cpv:31643000"]  # alone, the code is evidence
    described = {a.id: a for a in classifier.classify("Equipment", "Coils in a Kryostat.", [], "de")}
    assert "description:kryostat" in described["cryogenics"].evidence
    assert all(0 <= a.score <= 1 for a in [*result.values(), *described.values()])


def test_whole_words_only(classifier: Classifier) -> None:
    """No substring hits: 'programme' holds 'ram', 'video' folds near French 'vide' (vacuum)."""
    assert "vacuum" not in areas(classifier, "Video production for the outreach programme")
    assert "rf" not in areas(classifier, "Surface preparation services")  # 'rf' inside 'surface'
    assert "vacuum" not in areas(classifier, "Vide sanitaire", )


def test_title_weighs_more_than_description(classifier: Classifier) -> None:
    in_title = {a.id: a.score for a in classifier.classify("Supply of klystrons", None, [], None)}
    in_description = {a.id: a.score for a in classifier.classify("Supply", "Supply of klystrons", [], None)}
    assert in_title["rf"] > in_description["rf"]


def test_most_specific_cpv_prefix_wins(classifier: Classifier) -> None:
    assert classifier.cpv_areas("31643000") == ("31643", ["accelerator"])
    assert classifier.cpv_areas("31000000") == ("31", ["power"])
    assert classifier.cpv_areas("73100000") == ("73", [])  # R&D services: explicitly no area
    assert classifier.cpv_areas("99999999") is None


@pytest.mark.parametrize(("code", "expected"), [
    ("42961200", ["electronics"]),  # SCADA or equivalent system (LABELLING.md: PLC/SCADA is electronics)
    ("42967000", ["electronics"]),  # controller unit
    ("42961100", ["civil"]),  # access control system: hardware for buildings
    ("34632200", ["electronics"]),  # electrical signalling equipment for railways
    ("34630000", ["mechanical"]),  # parts of rolling stock
    ("42122130", ["mechanical"]),  # water pumps: machinery ...
    ("42122450", ["vacuum"]),  # ... but vacuum pumps are vacuum
    ("50100000", ["mechanical"]),  # repair of vehicles is mechanical work ...
    ("50118110", ["services"]),  # ... towing them is a plain service
    ("50225000", ["civil"]),  # maintenance of railway track
    ("50511000", ["mechanical"]),  # repair of pumps
    ("50531400", ["mechanical"]),  # repair of cranes
    ("50531100", ["civil"]),  # repair of boilers
    ("31625100", ["civil"]),  # fire-detection systems
    ("71410000", ["services"]),  # urban planning: planning consultancy, no infrastructure study ...
    ("71420000", ["civil"]),  # ... landscape architecture designs outdoor works
    ("71221000", ["civil"]),  # architectural services for buildings
    ("33600000", []),  # pharmaceuticals: medical supplies have no area (specification_everyday.txt) ...
    ("33700000", ["services"]),  # ... personal care products are a plain supply
    ("41110000", []),  # drinking water: the utility's own product, as water distribution (651) ...
    ("90400000", []),  # ... and running the sewerage
    ("90470000", ["services"]),  # sewer cleaning is a plain service, as cleaning is
    ("90500000", ["services"]),  # refuse services stay a plain service
    ("38652120", ["electronics"]),  # video projectors: audio-visual equipment, as sound and video (3233) ...
    ("38651000", ["detectors"]),  # ... while cameras stay detectors
    ("34330000", ["mechanical"]),  # spare parts of vehicles, as parts of rolling stock (34630000) ...
    ("34913000", ["mechanical"]),  # ... and miscellaneous spare parts
    ("34350000", ["services"]),  # tyres: a plain supply
    ("51120000", ["mechanical"]),  # installing mechanical equipment ...
    ("51900000", ["electronics"]),  # ... and guidance and control systems
    ("43830000", ["mechanical"]),  # power tools: workshop equipment is tooling, not site works ...
    ("43720000", ["mechanical"]),  # ... as casting machines for metallurgy
    ("43210000", ["civil"]),  # earthmoving machinery stays with construction
    ("65400000", ["civil"]),  # heat and cold distribution, as district heating (09323000) ...
    ("65410000", ["power"]),  # ... while running a power plant is power
    ("09310000", ["services"]),  # and electricity itself a commodity (LABELLING.md)
    ("44163120", ["civil"]),  # distance-heating pipes: heating water is civil, as water mains (44161200) ...
    ("44162500", ["civil"]),  # ... and drinking-water piping
    ("44164200", ["mechanical"]),  # tubing stays mechanical
    ("42211000", ["mechanical"]),  # food-processing machines: production machines, as the labels have them ...
    ("16310000", ["mechanical"]),  # ... harvesting machinery ...
    ("42710000", ["mechanical"]),  # ... and textile machinery
    ("16700000", ["services"]),  # tractors are vehicles, as motor vehicles (34100000) ...
    ("42716200", ["services"]),  # ... and drying machines a plain supply, as domestic appliances
    ("34996100", ["electronics"]),  # traffic lights: control and signalling equipment ...
    ("34993100", ["civil"]),  # ... tunnel lighting and road signs: lighting and site infrastructure ...
    ("34928100", ["civil"]),  # ... crash barriers ...
    ("34928400", ["services"]),  # ... but urban furniture is furniture
    ("34947100", ["civil"]),  # sleepers: track, as track construction materials
    ("34954000", ["mechanical"]),  # gantries: handling and lifting equipment
    ("24111600", ["services"]),  # hydrogen: industrial gases are a plain supply, as basic chemicals ...
    ("24111500", []),  # ... medical gases none, as medical supplies ...
    ("24111300", ["cryogenics"]),  # ... helium cryogenics
    ("35631300", ["space"]),  # navigation satellites: spacecraft, military or not
    ("35723000", ["rf"]),  # air defence radar, as radar (35722000)
    ("35125100", ["detectors"]),  # sensors
    ("35125300", []),  # security cameras: the object decides (CCTV services are ict)
    ("71333000", ["mechanical"]),  # mechanical engineering services: the technical area ...
    ("71336000", []),  # ... engineering support in general: the object decides
    ("38634000", ["detectors", "optics"]),  # optical microscopes: scientific instruments
    ("48614000", ["electronics"]),  # data-acquisition systems
    ("24315100", ["nuclear"]),  # heavy water and isotopes
    ("44315200", ["mechanical"]),  # welding materials, not cable (443)
])
def test_cpv_branches_follow_their_official_labels(classifier: Classifier, code: str, expected: list[str]) -> None:
    assert classifier.cpv_areas(code)[1] == expected


# Titles written from LABELLING.md's list of each area's technologies, in the languages where a
# word was missing: "language: title" per area (found as gaps, fixed in config/taxonomy.yaml).
SPECIFICATION_WORDS = {
    # PLC/SCADA/industrial control systems
    "electronics": ["en: Embedded systems development", "fr: Cartes d'acquisition", "fr: Instrumentation et contrôle",
                    "it: Controllori logici programmabili", "es: Automatización industrial de la planta",
                    "en: Supply of control cabinets for the pumping stations",
                    "de: SPS-Programmierung und Fernwirktechnik",
                    "fr: Fourniture d'armoires de commande", "nl: Levering van besturingskasten",
                    "it: Sistema di telecontrollo", "es: Sistema de telemando",
                    "de: Erneuerung der Zugsicherungstechnik", "it: Sistemi di segnalamento ferroviario",
                    "de: Erneuerung der Lichtsignalanlagen", "it: Manutenzione degli impianti semaforici",
                    "fr: Développement de firmware", "de: Lieferung von EEE-Bauteilen",
                    "nl: Levering van signaalgeneratoren", "it: Sistema di temporizzazione",
                    "es: Suministro de generadores de señales"],
    # machinery and handling equipment, from the official CPV labels and by hand
    "mechanical": ["en: Vibration isolation system", "de: Positioniertische", "nl: Fijnmechanica",
                   "nl: Verspanen van onderdelen", "it: Manifattura additiva",
                   "en: Supply of compressors", "de: Lieferung eines Gabelstaplers", "nl: Levering van compressoren",
                   "es: Suministro de cilindros hidráulicos", "it: Fornitura di pompe", "fr: Maintenance des pompes",
                   "es: Suministro de robots industriales", "de: Lieferung von Hebebühnen",
                   "fr: Fabrication de supports en acier inoxydable", "it: Fornitura di attrezzature di assemblaggio",
                   "nl: Vervaardiging van roestvrijstalen steunen", "nl: Levering van lasapparatuur",
                   "de: Lieferung von Schweißgeräten"],
    # the vacuum pumps' own label stays vacuum; a helium leak detector is vacuum only
    "vacuum": ["it: Fornitura di pompe da vuoto", "de: Lieferung eines Helium-Lecksuchgeräts",
               "en: Supply of turbomolecular pumps", "de: Lieferung von Turbomolekularpumpen"],
    "power": ["es: Suministro de fuentes de alimentación"],  # 'alimentación' here is no catering
    # scientific and measuring instruments; an electron microscope is no electronics
    # German and Dutch compounds whose head names a trade ("-technik", "-bau", "-bewerking")
    "compounds": ["de: Klimatechnik=civil", "de: Antriebstechnik=mechanical", "de: Sondermaschinenbau=mechanical",
                  "de: Medientechnik für den Hörsaal=electronics", "de: Elektronikfertigung=electronics",
                  "de: Prüftechnik=detectors", "nl: Werktuigbouwkunde=mechanical", "nl: Meettechniek=detectors",
                  "nl: Installatietechniek=civil"],
    "detectors": ["es: Intensificadores de imagen", "en: Supply of image intensifiers",
                  "fr: Machine de mesure tridimensionnelle", "it: Macchina di misura a coordinate",
                  "en: Laser tracker for alignment", "de: Lieferung eines Gaschromatographen",
                  "de: Lieferung von Temperaturfühlern",
                  "fr: Fourniture d'un microscope électronique à balayage", "nl: Levering van een warmtebeeldcamera",
                  "es: Suministro de equipamiento científico", "es: Compra de un criomicroscopio electrónico",
                  "es: Suministro de máquina universal de ensayos", "de: Lieferung von Laborgeräten",
                  "it: Servizio di spettrometria di massa", "it: Fornitura di un diffrattometro a raggi X",
                  "es: Suministro de un sistema de medición de calidad del aire",
                  "es: Suministro de equipos de laboratorio"],
    # raw and semi-finished special materials
    "materials": ["it: Fornitura di fluoruro di calcio", "en: Supply of silicon wafers",
                  "de: 90 Platten aus Spectrosil 2000", "en: Supply of stainless steel tubes", "de: Aluminiumprofile",
                  "es: Suministro de perfiles de aluminio", "fr: Fourniture de matières premières métallurgiques",
                  "it: Fornitura di materie prime",
                  "es: Suministro de fluoruro de calcio"],
    # plainly non-technical services and supplies: printers, workwear, audits, events, staff, offices
    "optics": ["fr: Fourniture de prismes", "it: Fornitura di filtri ottici", "de: Lieferung von Prismen",
               "en: Supply of laser diodes", "en: Supply of fibre Bragg gratings",
               "en: Polishing of optical substrates"],
    # the objects of a physics experiment's and observatory's calls
    "big science": ["en: Supply of GEM foils=detectors", "en: Supply of lead tungstate crystals=detectors",
                    "en: Supply of Kapton polyimide films=materials", "en: Supply of CVD diamond plates=materials",
                    "en: Supply of a GPS-disciplined rubidium clock=electronics",
                    "en: Supply of motion controllers=electronics", "en: EGNOS system engineering support=space",
                    "en: Exhaust air measurement system=detectors",
                    "en: Sectoral information system for the energy sector=ict"],
    # a satellite adjective names a space object ("transponder satellitari", "comunicazione satellitare")
    "space": ["it: Servizi di comunicazione satellitare", "es: Servicios de comunicaciones satelitales",
              "it: Componenti qualificati per lo spazio", "de: Erdbeobachtungsmission"],
    # buildings and their installations: fire detection, plumbing, roofs, facades; tunnels
    "civil": ["de: Heizkörper austauschen", "en: Supply of smoke detectors", "it: Rilevatori di fumo",
              "nl: Rookmelders",
              "de: Brandmeldeanlage", "de: Sanitärinstallation", "fr: Système de détection incendie",
              "fr: Réfection de toiture", "nl: Aanleg van een tunnel", "it: Impianti idraulici",
              "es: Instalaciones de fontanería", "es: Impermeabilización de cubiertas",
              "fr: Fourniture de pompes à chaleur", "en: Supply of fire pumps",
              "nl: Onderhoud van verwarmingsinstallaties", "it: Servizio di manutenzione degli impianti elevatori",
              "es: Redacción del proyecto y dirección de obra", "de: Wartung der Feuerlöschanlagen",
              "de: Straßenbeleuchtung", "de: Abbrucharbeiten", "en: Demolition of the old building",
              "nl: Onderhoud van bruggen en viaducten", "nl: Baggerwerkzaamheden", "nl: Rioolvervanging",
              "fr: Travaux de dragage", "es: Obras de alcantarillado", "fr: Marché de désamiantage",
              "de: Asbestsanierung im Schulgebäude", "es: Redacción de proyecto de rehabilitación",
              "en: Highways Maintenance Term Contract", "en: Housing Repairs and Maintenance",
              "en: Construction Consultancy Services"],
    # electronic tickets and ticketing are IT, not electronics hardware
    "ict": ["it: Servizio di vendita dei titoli di viaggio elettronici", "fr: Plateformes billettiques",
            "fr: Licences logicielles", "de: IT-Sicherheitsaudit", "en: Website redesign and hosting",
            "de: Einführung eines ERP-Systems", "fr: Tierce maintenance applicative", "nl: Hosting van applicaties",
            "it: Rifacimento del sito web", "es: Suministro de ordenadores portátiles",
            "it: Servizio di gestione dei sistemi informativi", "fr: Maintenance du système d'information",
            "de: Lieferung von IT-Hardware", "de: Glasfaserausbau"],
    "services": ["en: Supply of printers and toner", "de: Lieferung von Arbeitskleidung", "de: Wirtschaftsprüfung",
                 "fr: Organisation d'événements", "nl: Inhuur van personeel", "it: Locazione di uffici",
                 "es: Auditoría de cuentas", "it: Servizio di manutenzione del verde pubblico",
                 "de: Abfallentsorgung", "fr: Fourniture de carburants", "nl: Postdiensten",
                 "it: Fornitura di arredi per uffici", "es: Recogida de residuos",
                 "en: Hotel accommodation and hosting of the delegation", "en: Managed print services",
                 "de: Lieferung von Strom für die städtischen Gebäude",
                 "it: Fornitura di dispositivi di protezione individuale", "de: Druckerzeugnisse",
                 "de: Dolmetscherleistungen", "de: Lieferung von Lebensmitteln", "nl: Vertaaldiensten",
                 "fr: Fourniture de fournitures scolaires", "es: Servicio de ayuda a domicilio",
                 "es: Servicio de prevención de riesgos laborales", "en: Provision of Agency Staff",
                 "en: Provision of Multi-Functional Devices", "en: Water treatment chemicals",
                 "nl: Schoonmaakdiensten gemeente Hellevoetsluis"],  # a town's '-sluis' is no lock
}


@pytest.mark.parametrize(("area", "probe"), [(a, p) for a, probes in SPECIFICATION_WORDS.items() for p in probes])
def test_specification_vocabulary_in_every_language(classifier: Classifier, area: str, probe: str) -> None:
    language, title = probe.split(": ", 1)
    title, _, named = title.partition("=")  # a probe may name its own area ("Klimatechnik=civil")
    assert areas_in(classifier, title, language) == {named or area}


def test_words_with_a_second_meaning_stay_out(classifier: Classifier) -> None:
    """Vocabulary added from the specification must not fire on the word's other meaning."""
    assert areas_in(classifier, "Supply of galvanised steel gratings", "en") == set()  # walkway, not optics
    assert areas_in(classifier, "Supply of infusion pumps", "en") == set()  # medical, not machinery
    # vacuum pumps of every kind are no machinery (vacuum's own words give them their area)
    for title, language in (("Fornitura di pompe ioniche", "it"), ("Suministro de bombas iónicas", "es"),
                            ("Pompes à palettes", "fr"), ("Supply of rotary vane pumps", "en")):
        assert "mechanical" not in areas_in(classifier, title, language), title
    # spent fuel is nuclear's, not a fuel supply
    assert "services" not in areas_in(classifier, "Spent fuel pond decommissioning", "en")
    assert "services" not in areas_in(classifier, "Combustible gastado", "es")
    assert areas_in(classifier, "Glass fibre network roll-out", "en") == {"ict"}  # no materials
    assert areas_in(classifier, "Sistema di rilevazione degli eventi sismici", "it") == {"detectors"}


# Everyday namesakes of an area's words (area -> titles that must not get it, "lang: title"): a laser
# printer or a contact lens is no optics (LABELLING.md: mirrors, lenses, lasers as optical components).
NAMESAKES: dict[str, list[str]] = {
    "optics": ["en: Supply of laser printers and toner cartridges", "fr: Fourniture d'imprimantes laser",
               "it: Fornitura di stampanti laser e toner", "es: Suministro de impresoras láser",
               "en: Supply of contact lenses and spectacles", "it: Fornitura di lenti a contatto",
               "fr: Fourniture de lentilles de contact", "es: Suministro de lentes de contacto",
               "de: Kontaktlinsen und Brillengläser", "nl: Levering van contactlenzen",
               "en: Floor cleaning and polishing services", "en: Mirror website hosting",
               "de: Messung der Grundwasserspiegel", "en: Vehicle mirrors", "es: Espejos retrovisores para vehículos",
               "de: Außenspiegel für Fahrzeuge", "fr: Lecteurs optiques", "nl: Spiegelreflexcamera's"],
    # office, medical and security scanners are no scientific instruments; smoke detectors are fire detection
    "detectors": ["en: Document scanners", "en: MRI scanner replacement", "en: Ultrasound scanners for the hospital",
                  "en: Supply of smoke detectors", "fr: Détecteurs de fumée", "es: Detectores de humo",
                  "de: Rauchmelder"],
    # electronic records, tags for offenders, e-journals and e-cigarettes are no electronics hardware
    "electronics": ["en: Electronic health records", "en: Electronic monitoring of offenders",
                    "en: Electronic library resources", "en: Electronic cigarettes", "fr: Bracelet électronique",
                    "it: Cartella clinica elettronica", "nl: Elektronisch patiëntendossier",
                    "en: Timing and scoring services for the marathon",
                    # French 'DSP' is a délégation de service public (a concession), no signal processing
                    "fr: Délégation de service public (DSP) pour la gestion du service de l'eau potable"],
    # mechanical ventilation is HVAC and mechanical sweeping a street service
    "mechanical": ["en: Mechanical ventilation with heat recovery", "en: Mechanical street sweeping",
                   "fr: Ventilation mécanique contrôlée", "fr: Balayage mécanique des voies",
                   "it: Ventilazione meccanica controllata", "es: Barrido mecánico de calles",
                   "nl: Mechanische ventilatie", "en: Pump track for the skate park"],
    # floor and road coatings, tiles, food raw materials, pencils are no special materials
    "materials": ["en: Floor coatings for the warehouse", "en: Supply of ceramic tiles",
                  "en: Alloy wheels for fleet vehicles",
                  "en: Wafers and biscuits for the canteen", "en: Raw materials for the school kitchens",
                  "en: Graphite pencils and stationery", "de: Bleistifte und Schreibwaren", "de: Fahrbahnbeschichtung",
                  "de: Keramikfliesen", "fr: Revêtements de sol", "fr: Revêtement de chaussée",
                  "it: Rivestimento delle facciate", "it: Fornitura di materie prime alimentari",
                  "it: Lega calcio serie A",
                  "es: Recubrimiento de suelos", "es: Pavimentos cerámicos", "nl: Coating van de vloeren"],
    # software architecture, capacity building, heating oil, radio links, medical ventilation are no civil works
    "civil": ["en: Enterprise architecture consultancy", "en: Network architecture study",
              "de: IT-Architektur Beratung", "de: Softwarearchitektur", "fr: Architecture du système d'information",
              "nl: Informatiearchitectuur",
              "es: Arquitectura de software y sistemas de información", "en: Capacity building and training programme",
              "en: Team building events", "en: Heating oil supply", "fr: Gaz naturel de chauffage",
              "it: Fornitura di gasolio da riscaldamento", "es: Suministro de gasóleo de calefacción",
              "it: Manutenzione ponti radio", "it: Galleria d'arte: allestimento mostra", "en: VPN tunnel appliances",
              "en: Non-invasive ventilation equipment for hospitals", "fr: Respirateurs et ventilation médicale",
              "en: Medical drainage catheters", "en: Bridge financing advisory",
              "en: Study on European research infrastructures", "fr: Infrastructures de recherche : étude",
              "fr: Travaux de recherche sur les matériaux", "en: Web site maintenance", "fr: Refonte du site internet",
              "en: Public key infrastructure", "en: Building insurance", "en: Cleanroom garments laundry",
              "es: Puente grúa de 20 toneladas", "it: Ponte sollevatore per officina", "en: Works of art purchase",
              "nl: Sanitaire producten en hygiëneartikelen", "en: Car wash tunnel", "es: Túnel de viento",
              "de: Brückenkurs Mathematik", "de: Datenbrücke zwischen Systemen", "nl: Brugklas lesmateriaal",
              "nl: Verwarmingstoelage", "nl: Tunnelvisie training"],
}


@pytest.mark.parametrize(("area", "probe"), [(a, p) for a, probes in NAMESAKES.items() for p in probes])
def test_everyday_namesakes_do_not_give_the_area(classifier: Classifier, area: str, probe: str) -> None:
    language, title = probe.split(": ", 1)
    assert area not in areas_in(classifier, title, language)


def test_an_image_intensifier_is_a_detector_and_with_optics_codes_also_optics(classifier: Classifier) -> None:
    """Image intensifiers are detectors by their words; optics only beside a second signal (weak), here
    the night-vision code 38632000 of CPV 386 (optical instruments)."""
    title = "Acquisition de modules à intensification de lumière"
    assert areas_in(classifier, title, "fr") == {"detectors"}
    assert {a.id for a in classifier.classify(title, None, ["38632000"], "fr")} == {"detectors", "optics"}


def test_work_words_yield_to_the_object_the_title_names(classifier: Classifier) -> None:
    """'Travaux', 'construction', 'Neubau' say what kind of work a notice is, not its object: beside an
    area the title names they add nothing (LABELLING.md: electrical installation works are power);
    alone they still give their area."""
    # with a general construction code (45000000) as well, which alone would keep civil beside power
    found = classifier.classify("Travaux de construction de réseaux électricité", None, ["45000000"], "fr")
    assert [a.id for a in found] == ["power"]
    found = classifier.classify("Travaux d'installation d'ombrières photovoltaïques", None, ["45223000"], "fr")
    assert [a.id for a in found] == ["power"]
    assert areas_in(classifier, "Construction of the new cable car", "en") == {"civil"}
    assert areas_in(classifier, "Lavori di ristrutturazione", "it") == {"civil"}
    # a services word names no technical object: the work word keeps its area beside it
    found = classifier.classify("Refurbishment works of the staff restaurant", None, ["45000000"], "en")
    assert [a.id for a in found] == ["civil"]
    # building work of a building named by its use is civil; cleaning works stay services
    assert areas_in(classifier, "Construction of a training centre", "en") == {"civil"}
    assert areas_in(classifier, "Neubau der Kantine", "de") == {"civil"}
    assert areas_in(classifier, "Lavori di costruzione della mensa scolastica", "it") == {"civil"}
    assert areas_in(classifier, "Construction d'une station de carburant", "fr") == {"civil"}
    assert areas_in(classifier, "Travaux de nettoyage des locaux", "fr") == {"services"}
    assert areas_in(classifier, "Extension of the cleaning contract", "en") == {"services"}
    assert areas_in(classifier, "Vehicle hire for the construction site", "en") == {"services"}
    assert areas_in(classifier, "Supply of a 3D printer", "en") == {"mechanical"}  # no office printer


def test_negative_rule_vetoes_keyword(classifier: Classifier) -> None:
    assert "vacuum" in areas(classifier, "Supply of vacuum pumps")
    assert "vacuum" not in areas(classifier, "Supply of heat pumps")
    assert "services" not in areas(classifier, "Beam transport line quadrupoles")


def test_no_signal_gets_no_area_and_services_is_a_positive_finding(classifier: Classifier) -> None:
    """LABELLING.md: 'services' is a non-technical service or supply, never 'no rule fired'."""
    assert classifier.classify("Miscellaneous", None, [], None) == []
    assert areas(classifier, "Cleaning services for office buildings") == {"services"}
    assert areas(classifier, "Supply of office furniture") == {"services"}
    # generic procurement words are no evidence of anything
    assert areas(classifier, "Framework contract for the provision of services") == set()


def test_services_is_exclusive_and_service_words_yield_to_the_object(classifier: Classifier) -> None:
    # expertise, support and consultancy get the technical area (LABELLING.md, last rule)
    assert areas_in(classifier, "Technical consultancy for cryogenic systems", "en") == {"cryogenics"}
    assert areas_in(classifier, "Management consulting services", "en") == {"services"}
    assert areas_in(classifier, "Beratung Kryotechnik", "de") == {"cryogenics"}
    # a plain service whose object needs a licence keeps both
    assert areas_in(classifier, "Radioactive waste transport", "en") == {"nuclear", "services"}


@pytest.mark.parametrize(("title", "expected"), [
    ("RFQ: site vehicle hire, Murchison", {"services"}),  # RFQ is a request for quotation here
    ("Cryo-electron microscope service contract", {"detectors"}),  # cryo-EM is not cryogenics
    ("Expert design and support engineer for diagnostics integration", {"detectors"}),
    ("Market survey: power distribution for the SKA-Low stations", {"power"}),  # no services beside it
    ("Supply of power supplies for klystrons", {"power"}),  # destination is not product
    ("Machining of copper components", {"mechanical"}),  # machining of copper is mechanical
    ("Maintenance of the chillers", {"civil"}),  # chillers are civil, not cryogenics
    # a control system for a cryo or vacuum plant also gets that plant's area; boards for it do not
    ("Control system for the cryogenic plant", {"cryogenics", "electronics"}),
    ("PLC upgrade for the vacuum system of the beamlines", {"electronics", "vacuum"}),
    ("Supply of FPGA boards for the cryostat test stand", {"electronics"}),
    ("Detector arrays for the MICADO instrument", {"detectors"}),  # LABELLING.md: detectors only
])
def test_specification_cases(classifier: Classifier, title: str, expected: set[str]) -> None:
    assert areas_in(classifier, title, "en") == expected


def test_buyer_and_organisation_names_never_decide(config: Config) -> None:
    classifier = Classifier.for_config(config)
    described = classifier.classify("Supply of office furniture",
                                    "CERN, the European Organization for Nuclear Research, needs desks.", [], "en")
    assert [a.id for a in described] == ["services"]
    # the notice's own buyer name is masked too, wherever it appears
    assert classifier.classify("Fusion Reactor Lab: catering", None, [], "en", buyer="Fusion Reactor Lab")[0].id \
        == "services"
    assert "nuclear" in {a.id for a in classifier.classify("Fusion reactor components", None, [], "en",
                                                           buyer="Somebody Else")}
    assert Classifier.for_config(config).classify("Kältemaschinen für das Gebäude", None, [], "de")[0].id == "civil"


def test_lemmas_map_inflections_together_and_keep_other_words_apart() -> None:
    assert key("magnets", "en") == key("magnet", "en")
    assert key("cavities", "en") == key("cavity", "en")
    assert key("magneten", "nl") == key("magneet", "nl")  # no suffix rule gets this one
    assert key("Geräte".casefold(), "de") == key("gerät", "de")
    assert key("détecteurs", "fr") == key("detecteurs", "fr")  # folded keywords meet accented words
    assert key("routier", "fr") != key("router", "en") and key("transform", "en") != key("transformer", "en")


def test_compound_heads_come_from_the_dictionary() -> None:
    assert compound("beschleunigertunnel", "de") == (key("beschleuniger", "de"), key("tunnel", "de"))
    assert compound("vacuümkamers", "nl")[1] == key("kamers", "nl")
    assert compound("tunnel", "de") is None and compound("beschleunigertunnel", "en") is None


def test_cli_classify_adds_technology_areas(config: Config, tmp_path: Path) -> None:
    lines = tmp_path / "in.jsonl"
    lines.write_text(json.dumps({"title": "Supply of ion pumps", "cpv_codes": ["42122000"]}) + "\n"
                     + "not json\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "tenderwatch", "--config", config.directory, "classify", str(lines)],
                          check=False, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 1  # the bad line is reported and makes the exit non-zero
    assert "line 2" in proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == 1 and out[0]["technology_areas"][0]["id"] == "vacuum"


def test_language_selects_its_rules_plus_english(classifier: Classifier) -> None:
    """A notice is matched with its own language's rules and English, not every language's:
    Italian 'lente' (lens) is Dutch for 'spring', Dutch 'lassen' (welding) is German for 'let'."""
    assert areas_in(classifier, "Fornitura di lenti", "it") == {"optics"}
    assert areas_in(classifier, "Fornitura di lenti", "ita") == {"optics"}  # ISO 639-2 codes too
    assert "optics" not in areas_in(classifier, "Evenement in de lente", "nl")
    assert "optics" in areas_in(classifier, "Evenement in de lente", None)  # unknown language: every rule
    assert areas_in(classifier, "Lassen van RVS leidingen", "nl") == {"mechanical"}
    assert "mechanical" not in areas_in(classifier, "Wir lassen Büromöbel liefern", "de")
    assert "electronics" in areas_in(classifier, "Lieferung von FPGA-Boards", "de")  # English in a German title
    assert classifier.language_key("de-CH") == "de" and classifier.language_key("pl") == FOREIGN
    assert "optics" not in areas_in(classifier, "Evenement in de lente", "pl")  # another language: English rules


def test_compound_head_decides(classifier: Classifier) -> None:
    """'Beschleunigertunnel' is a tunnel: the modifier's area weighs like a destination."""
    assert areas_in(classifier, "Rohbauarbeiten für den Beschleunigertunnel", "de") == {"civil"}
    # radiation monitors are nuclear and detectors (LABELLING.md), whichever part names them
    assert areas_in(classifier, "Strahlenschutzmessgeräte", "de") == {"detectors", "nuclear"}
    # a word*-rule matches the bare word as well as compounds
    assert areas_in(classifier, "Vakuum", "de") == {"vacuum"}
    assert areas_in(classifier, "Komponenten für den Speicherring", "de") == {"accelerator"}


def test_destination_weighs_less_except_platforms(classifier: Classifier) -> None:
    """Words after 'for' name where the thing goes: not accelerator, but still space or telescopes."""
    assert areas_in(classifier, "Solid-state RF amplifiers for the storage ring", "en") == {"rf"}
    assert areas_in(classifier, "Supply of connectors for satellites", "en") == {"space"}
    assert areas_in(classifier, "Infrared detectors for the telescope", "en") == {"detectors", "telescopes"}
    assert areas_in(classifier, "Supply of equipment for the storage ring", "en") == {"accelerator"}
    # a procedure named before 'for' opens no destination: the object follows it
    found = classifier.classify("Tender for 6 hydrogen refuelling systems", "Hydrogen fuel.", ["09121000"], "en")
    assert [a.id for a in found] == ["mechanical"]
    assert areas_in(classifier, "Ausschreibung für Vakuumpumpen", "de") == {"vacuum"}
    assert areas_in(classifier, "Supply of RF amplifiers for the storage ring", "en") == {"rf"}  # still a destination
    # services on top is exclusive: what it carries or trains goes, a licence it needs stays
    assert areas_in(classifier, "Air transport of the toroidal field coils", "en") == {"services"}
    assert areas_in(classifier, "Formation des techniciens réseau électricité", "fr") == {"services"}
    assert areas_in(classifier, "Radioactive laundry service", "en") == {"nuclear", "services"}
    assert areas_in(classifier, "Transport of Class 7 radioactive goods packages", "en") == {"nuclear", "services"}
    assert areas_in(classifier, "Catering for the fusion conference", "en") == {"services"}
    # a plain service for a platform is the service (LABELLING.md: insurance, transport are services)
    assert areas_in(classifier, "Insurance for the satellite launch", "en") == {"services"}
    assert areas_in(classifier, "Transport of the satellite to the launch site", "en") == {"services"}


def test_folded_keywords_meet_accented_words_and_ligatures(classifier: Classifier) -> None:
    """The taxonomy writes keywords folded ("maitrise d oeuvre", "vacio"); a dictionary may lemmatise
    the folded and the accented spelling differently, and Unicode does not decompose 'œ'."""
    assert areas_in(classifier, "Marché de maîtrise d'œuvre pour la rénovation du bâtiment", "fr") == {"civil"}
    assert "vacuum" in areas_in(classifier, "Instrumentación de vacío", "es")


def test_english_participles_keep_their_form(classifier: Classifier) -> None:
    """'machined' is no 'machine': a keyword participle does not fire on the verb's other forms."""
    assert key("machined", "en") != key("machines", "en")
    assert "mechanical" not in areas_in(classifier, "Supply of three pole measuring machines", "en")
    assert "mechanical" in areas_in(classifier, "Supply of machined parts", "en")


def test_weak_words_alone_give_no_area(classifier: Classifier) -> None:
    """A weak word needs a strong one or a CPV code: 'controllers' in the title and in the description
    is still only a hint of electronics; a generic activity word in a description is no evidence."""
    assert areas(classifier, "Supply of controllers", "Controllers for the heaters.") == set()
    assert "electronics" in areas(classifier, "Supply of controllers", "PLC based controllers.")
    assert areas(classifier, "Manufacture of antennas", "Erected on 512 sites.") == set()


def test_compound_with_a_generic_head_is_read_by_its_modifier(classifier: Classifier) -> None:
    """'Gebäudereinigungsarbeiten' is cleaning work ('-reinigung-'), not a building."""
    assert areas_in(classifier, "Gebäudereinigungsarbeiten im Institut", "de") == {"services"}
    assert areas_in(classifier, "Elektroinstallationsarbeiten", "de") == {"power"}


def _dev_notice(notice_id: str) -> dict:
    return next(n for n in load_part("dev") if n["id"] == notice_id)


def _chosen(classifier: Classifier, notice: dict, cpv: list[str] | None = None) -> set[str]:
    return {a.id for a in classifier.classify(notice["title"], notice.get("description"),
                                              notice["cpv_codes"] if cpv is None else cpv, notice["language"])}


def test_further_cpv_codes_alone_add_no_second_area(classifier: Classifier) -> None:
    """A notice's CPV codes after the main one list the job's parts (LABELLING.md, rule 2): an area
    only they name is dropped beside an area the title, the main code or the description names, like
    an area named only in the description. Real dev notices."""
    # gas pre-heaters and heat exchangers (main 42000000, mechanical): the cooling codes after it are
    # no civil lot
    gas = _dev_notice("ted-437260-2019")
    assert "civil" in {c.id for c in classifier.findings(gas["title"], gas.get("description"), gas["cpv_codes"],
                                                          gas["language"]).candidates}
    assert _chosen(classifier, gas) == {"mechanical"}
    # the same codes decide when they come first: the heat-exchange code as the main one names civil
    assert "civil" in _chosen(classifier, gas, [*gas["cpv_codes"][1:], gas["cpv_codes"][0]])
    # further codes that the description backs keep their area: Sibelga's 230/400 V conversion works
    # (main 45230000, civil; electrical wiring after it, 'installations électriques' in the text)
    conversion = _dev_notice("ted-547700-2023")
    assert "power" in _chosen(classifier, conversion)


def test_services_yields_on_a_tie_and_stands_alone_on_top(classifier: Classifier) -> None:
    """LABELLING.md: services is normally exclusive; beside it only a licensed area (nuclear). Real
    dev notices whose services and technical words score alike."""
    # installation and assistance of detection systems for waste collection: a tie, the technical area wins
    assert _chosen(classifier, _dev_notice("ted-405739-2021")) == {"detectors"}
    # guarding and fire-safety staff: services on top, the fire-safety words go with it
    assert _chosen(classifier, _dev_notice("ted-198419-2018")) == {"services"}
    # a radioactive laundry service: a tie with the licensed area keeps both
    assert _chosen(classifier, _dev_notice("uk-ocds-h6vhtk-06920d")) == {"nuclear", "services"}


@pytest.mark.parametrize(("title", "language", "cpv"), [
    ("Verkauf von kommunalen Leerrohren (Speedpipes)", "de", ["44141000"]),  # real dev notice ted-206731-2021
    ("Avviso pubblico esplorativo di manifestazione di interesse per la vendita in 3 lotti di autobus usati", "it",
     ["79342400", "34121000"]),  # real dev notice ted-27483-2019
    ("Sale of surplus laboratory equipment", "en", []),
    ("Vente de véhicules réformés", "fr", []),
    ("Verkoop van afgeschreven servers", "nl", []),
    ("Venta de transformadores usados", "es", []),
])
def test_a_sale_by_the_buyer_gets_no_area(classifier: Classifier, title: str, language: str, cpv: list[str]) -> None:
    """LABELLING.md rule 1: what the supplier must deliver decides; in a sale it delivers nothing."""
    assert classifier.classify(title, None, cpv, language) == []


def test_a_sale_word_that_is_not_the_object_leaves_the_areas(classifier: Classifier) -> None:
    assert "ict" in areas_in(classifier, "Supply of point of sale terminals and servers", "en")
    assert "power" in areas_in(classifier, "Fornitura di trasformatori per la vendita di energia", "it")


@pytest.mark.parametrize(("title", "language"), [
    ("Specifications for the injection dipoles of ThomX", "en"),  # real dev notice
    ("Lieferung von Quadrupolen für den Speicherring", "de"), ("Fourniture de quadripôles", "fr"),
    ("Levering van quadrupolen", "nl"), ("Fornitura di dipoli per l'anello", "it"),
    ("Suministro de cuadrupolos", "es"),
])
def test_multipole_magnets_are_accelerator_magnets(classifier: Classifier, title: str, language: str) -> None:
    """LABELLING.md: accelerator magnets are accelerator (beam line) and magnets, as sextupoles were."""
    assert {"accelerator", "magnets"} <= areas_in(classifier, title, language)


@pytest.mark.parametrize(("title", "language"), [
    ("Supply of dipole antennas", "en"), ("Triple quadrupole mass spectrometer", "en"),
    ("Lieferung eines Quadrupol-Massenspektrometers", "de"), ("Spectromètre de masse à quadripôle", "fr"),
    ("Levering van een quadrupool-massaspectrometer", "nl"),
    ("Fornitura di uno spettrometro di massa a quadrupolo", "it"),
    ("Suministro de un espectrómetro de masas de cuadrupolo", "es"),
])
def test_multipole_namesakes_are_no_magnets(classifier: Classifier, title: str, language: str) -> None:
    assert not {"accelerator", "magnets"} & areas_in(classifier, title, language)


def test_a_register_for_everything_names_no_area_by_its_codes(classifier: Classifier) -> None:
    """A supplier register whose CPV codes span dozens of divisions (real dev notice ted-272902-2017,
    33 divisions) names no object: its codes give no area. The same title with the codes of fewer
    divisions than ``cpv_catch_all`` still gets the areas they name."""
    register = _dev_notice("ted-272902-2017")
    assert _chosen(classifier, register) == set()
    by_division: dict[str, str] = {}
    for code in register["cpv_codes"]:
        by_division.setdefault(code[:2], code)
    fewer = list(by_division.values())[: classifier.taxonomy.cpv_catch_all - 1]
    assert _chosen(classifier, register, fewer)


def test_areas_one_cpv_code_names_together_stay_together(classifier: Classifier) -> None:
    """A CPV entry of two areas names one object that is both (LABELLING.md: radiation monitors are
    detectors and nuclear): the relative threshold does not part them. Real dev notice: FAIR's exhaust
    air measurement system, CPV 38940000 (nuclear evaluation instruments) after the main code."""
    exhaust = _dev_notice("fair-dtvp-cxs0yyeytsd05bhl")
    found = classifier.findings(exhaust["title"], exhaust.get("description"), exhaust["cpv_codes"],
                                exhaust["language"])
    scores = {a.id: a.score for a in found.candidates}
    # nuclear scores below the relative threshold of the detectors' title and CPV evidence ...
    assert scores["nuclear"] < scores["detectors"] * classifier.taxonomy.relative_threshold
    # ... and stays beside it, as the code names both
    assert {"detectors", "nuclear"} <= _chosen(classifier, exhaust)
    # without that code, the measurement system is detectors alone
    assert "nuclear" not in _chosen(classifier, exhaust, [c for c in exhaust["cpv_codes"] if c != "38940000"])
